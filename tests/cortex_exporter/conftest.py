"""Fixtures: distinctive fake credentials in the environment, and a verifying local receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cortex_exporter.cli.receiver import InspectionReceiver
from tests.cortex_exporter.support import ACCESS_KEY, SECRET_KEY, SESSION_TOKEN


@pytest.fixture
def env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials in AWS_* variables, as the default chain's first provider reads them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)


@pytest.fixture
def receiver() -> Iterator[InspectionReceiver]:
    """A receiver on 127.0.0.1 that verifies signatures made with the fake credentials."""
    with InspectionReceiver(
        secrets={ACCESS_KEY: SECRET_KEY}, region="us-east-1", service="aps"
    ) as rx:
        yield rx


# A local STS (moto on 127.0.0.1) for the assume-role tests, shared with the auth tests.
from tests.auth.conftest import _moto, local_sts  # noqa: E402

__all__ = ["_moto", "env_credentials", "local_sts", "receiver"]
