"""Fixtures for the sender and queue tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.upstream_prw.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A fault-injecting remote-write receiver on 127.0.0.1; answers 204 unless scripted."""
    with Receiver() as rx:
        yield rx
