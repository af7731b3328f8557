"""Exceptions raised by the remote-write exporter.

    UpstreamPRWError
    ├── ConfigError            bad settings; the message starts with the key path
    ├── UntranslatableError    a data point with no faithful Prometheus form; it is dropped,
    │                          reported and counted, and the rest of the export goes on
    └── SendError              one remote-write request could not be sent
        └── RetryableSendError     it may succeed later (a secret file caught empty)

`export()` never raises these into the SDK: it returns FAILURE and logs once. How the
backend's answers are judged (retry or give up) is `send.retry`'s decision, not a type.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "RetryableSendError",
    "SendError",
    "UntranslatableError",
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
    """A request could not be sent."""


class RetryableSendError(SendError):
    """Transient: the same request may succeed later."""


class UntranslatableError(UpstreamPRWError, ValueError):
    """A data point that has no faithful Prometheus form; the message says why."""
