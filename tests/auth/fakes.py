"""Test doubles: a settable clock and credential sources that record or fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from botocore.credentials import Credentials, ReadOnlyCredentials

ACCESS_KEY = "AKIDTESTEXAMPLE0001"
SECRET_KEY = "tEsT/sEcReT+kEy/ShOuLdNeVeRLeAk0000000000"
SESSION_TOKEN = "FwoGZXIvYXdzTestSessionTokenThatMustNeverLeak//////////wEaD"
START = datetime(2024, 5, 17, 9, 30, tzinfo=timezone.utc)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def static_credentials(token: str | None = SESSION_TOKEN) -> Credentials:
    return Credentials(ACCESS_KEY, SECRET_KEY, token, method="test-static")


@dataclass
class Recording:
    """Wraps a credential source and keeps every frozen set it hands out."""

    inner: Any
    handed_out: list[ReadOnlyCredentials] = field(default_factory=list)

    @property
    def method(self) -> str:
        return str(self.inner.method)

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        frozen = self.inner.get_frozen_credentials()
        self.handed_out.append(frozen)
        return frozen

    def secrets(self) -> dict[str, str]:
        return {c.access_key: c.secret_key for c in self.handed_out}


class Failing:
    """A provider that raises, the way an STS or IMDS failure surfaces."""

    method = "broken-provider"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        raise self.error


class Partial:
    """A provider that returns a key set with a piece missing."""

    method = "partial-provider"

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        return ReadOnlyCredentials(ACCESS_KEY, "", SESSION_TOKEN)
