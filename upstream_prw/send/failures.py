"""Failures made visible at once, and then without flooding the application's log.

The first failed attempt of each kind (an HTTP status with its reason, or an exception
class) is logged at WARNING right away, with a hint. While failures go on, one WARNING
summary a minute at most; one INFO line when delivery recovers. Never a line per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

__all__ = ["FailureLog", "endpoint_name", "hint_for"]

logger = logging.getLogger("upstream_prw.send")

_HINTS = {
    400: "the backend rejected the data itself (its answer says why); it is not retried",
    401: "the backend wants credentials: check basic_auth, bearer_token or the session's auth",
    403: "the backend refuses these credentials: check them, and the permission to write "
    "(for a signing auth, its region and service)",
    404: "nothing listens at this path: check the endpoint URL (often /api/v1/write or "
    "/api/v1/push)",
    413: "requests are too large for the backend: lower max_batch_size_bytes",
    415: "the backend does not take this protobuf message or encoding",
    429: "the backend is rate-limiting; requests are retried after its Retry-After",
}


def hint_for(status: int | None, error: str) -> str:
    """What to look at for a failure: by status, else by the exception's name."""
    if status is not None:
        if status in _HINTS:
            return _HINTS[status]
        if status >= 500:
            return "the backend failed to take the request; it is retried with backoff"
        return "the backend rejected the request; it is not retried"
    if error.startswith(("ConnectionError", "ConnectTimeout", "ProxyError")):
        return "the endpoint cannot be reached: is it up, and is the host and port right?"
    if "Timeout" in error.split(":", 1)[0]:
        return "the backend did not answer within `timeout`"
    if error.startswith("SSLError"):
        return "the TLS handshake failed: check tls.ca_file, or the endpoint's certificate"
    return "the request could not be sent; it is retried with backoff"


def endpoint_name(url: str) -> str:
    """`host:port` of an endpoint: enough to tell which one, never its credentials."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or "?"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class FailureLog:
    """Per endpoint: which kinds of failure were seen since the last success, and when
    the last summary went out. Thread-safe; `backlog` says what is queued and dropped."""

    def __init__(
        self,
        endpoint: str,
        *,
        backlog: Callable[[], str] = lambda: "",
        clock: Callable[[], float] = time.monotonic,
        summary_every: float = 60.0,
    ) -> None:
        self.where = endpoint_name(endpoint)
        self._backlog = backlog
        self._clock = clock
        self._summary_every = summary_every
        self._lock = threading.Lock()
        self._kinds: set[str] = set()
        self._failed = 0  # attempts failed since the last success
        self._lost = 0  # requests given up on since the last success
        self._since_summary = 0
        self._last_line = 0.0

    def after_fork_in_child(self) -> None:
        """A fresh lock (one held at the fork would never be released), a clean slate."""
        self._lock = threading.Lock()
        self._kinds.clear()
        self._failed = self._lost = self._since_summary = 0

    @property
    def failing(self) -> bool:
        with self._lock:
            return self._failed > 0

    def attempt_failed(self, kind: str, detail: str, hint: str) -> None:
        """One failed attempt: logged at once if its kind is new, else summarised."""
        with self._lock:
            first = kind not in self._kinds
            self._kinds.add(kind)
            self._failed += 1
            self._since_summary += 1
            now = self._clock()
            due = not first and now - self._last_line >= self._summary_every
            if first or due:
                self._last_line = now
            count, failed, lost = self._since_summary, self._failed, self._lost
            if first or due:
                self._since_summary = 0
        if first:
            logger.warning("remote write to %s failed: %s; %s", self.where, detail, hint)
        elif due:
            backlog = self._backlog()
            logger.warning(
                "remote write to %s still failing: %d failed attempts since the last report "
                "(%d in all, %d requests given up)%s; last: %s",
                self.where,
                count,
                failed,
                lost,
                f"; {backlog}" if backlog else "",
                detail,
            )

    def gave_up(self) -> None:
        """One request given up on; the summaries count them."""
        with self._lock:
            self._lost += 1

    def delivered(self) -> None:
        """A request was accepted: one INFO line if failures came before it."""
        if not self._failed:  # the common case, read without the lock
            return
        with self._lock:
            if not self._failed:
                return
            failed, lost = self._failed, self._lost
            self._kinds.clear()
            self._failed = self._lost = self._since_summary = 0
        logger.info(
            "remote write to %s recovered after %d failed attempts (%d requests given up)",
            self.where,
            failed,
            lost,
        )
