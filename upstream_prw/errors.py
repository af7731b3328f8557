"""Exceptions raised by the remote-write exporter.

    UpstreamPRWError
    ├── ConfigError            bad settings; the message starts with the key path
    └── SendError              one remote-write request could not be delivered
        ├── RetryableSendError     connection error, timeout, 5xx, 429, auth hook failure
        └── PermanentSendError     any other 4xx: retrying cannot help

`export()` never raises these into the SDK: it returns FAILURE and logs once.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "PermanentSendError",
    "RetryableSendError",
    "SendError",
    "UpstreamPRWError",
]


class UpstreamPRWError(Exception):
    """Base class of every error this package raises."""


class ConfigError(UpstreamPRWError, ValueError):
    """Invalid settings. `path` is the dotted key path the message starts with."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


class SendError(UpstreamPRWError):
    """A request was not accepted. `status` is the HTTP status, or None without a response."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class RetryableSendError(SendError):
    """Transient: the same request may succeed later."""


class PermanentSendError(SendError):
    """The backend rejected the request itself; sending it again cannot succeed."""
