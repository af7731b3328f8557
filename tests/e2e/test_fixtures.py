"""The backend fixtures' own rules, checked without starting anything."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import _binary, unique_metric_name


def test_missing_backend_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-backend is not installed"):
        _binary("no-such-backend")


def test_missing_backend_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must provide it"):
        _binary("no-such-backend")


def test_unique_metric_names_are_valid_and_distinct() -> None:
    names = {unique_metric_name("e2e_x") for _ in range(100)}
    assert len(names) == 100
    assert all(name.startswith("e2e_x_") and name.isidentifier() for name in names)
