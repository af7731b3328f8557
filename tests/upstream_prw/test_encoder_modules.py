"""The encoder's modules say what they export, and stay a pure core (no I/O, no clocks)."""

from __future__ import annotations

import pytest

from tests.upstream_prw.test_public_names import _imports, test_all_lists_existing_public_names

_MODULES = [
    "upstream_prw.encode.encoder",
    "upstream_prw.encode.entries",
    "upstream_prw.encode.fast_path",
    "upstream_prw.encode.point_loop",
    "upstream_prw.encode.series",
    "upstream_prw.encode.batches",
    "upstream_prw.encode.templates",
    "upstream_prw.encode.wire",
]


@pytest.mark.parametrize("name", _MODULES)
def test_encoder_modules_list_their_public_names(name: str) -> None:
    test_all_lists_existing_public_names(name)


@pytest.mark.parametrize("name", _MODULES)
def test_encoder_modules_import_neither_requests_nor_time(name: str) -> None:
    imported = _imports(name, set())
    assert not imported & {"requests", "time", "urllib3", "socket", "threading"}
