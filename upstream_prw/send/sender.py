"""The I/O edge: POST one encoded request, retrying per the policy, and report what happened.

Every attempt is a fresh `session.post(...)`, so an auth hook on the session (a SigV4 signer)
signs each retry anew. No retrying adapter is mounted; waits happen on the caller's stop event
so shutdown interrupts them. Every attempt ends by a wall-clock limit (`timeout`, and the
caller's deadline), the answer is streamed and at most 64 KiB of it kept. `send` never
raises: it returns a `SendOutcome`; failures reach the log through `FailureLog`, the first
of each kind at once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import requests
from requests.adapters import HTTPAdapter

from upstream_prw.config import RemoteWriteSettings
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.split import series_name, split_request
from upstream_prw.send.failures import FailureLog, hint_for
from upstream_prw.send.response import loggable, read_capped
from upstream_prw.send.retry import RetryPolicy, parse_retry_after
from upstream_prw.send.session import ConfiguredAuth, has_configured_auth, settle_environment
from upstream_prw.send.stats import Stats
from upstream_prw.send.watchdog import WatchedAdapter, watchdog, watched
from upstream_prw.version import USER_AGENT

__all__ = ["PERMANENT_REQUEST_ERRORS", "SendOutcome", "Sender"]

logger = logging.getLogger("upstream_prw.send")

PERMANENT_REQUEST_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
)
"""Raised by requests for a request that can never be sent; everything else is retried."""

SPLIT_AFTER = 3
"""Attempts answered 5xx, while other requests were taken meanwhile, before a request of
several series is split in two: what a backend refusing one series of it looks like."""

GIVE_UP_SERIES_AFTER = 12
"""The same for a request of one series before it is given up: far more than a flaky
backend's bad luck (3 in 10 answers failing make 12 in a row once in two million)."""


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What became of one request: `status` is the last HTTP status, if any response came;
    `error_type` names a failure as the semantic conventions' `error.type` does (the status
    code, the exception's class, or "timeout" when no attempt could be made in time)."""

    delivered: bool
    attempts: int
    status: int | None = None
    error: str | None = None
    error_type: str | None = None


class _Attempt(NamedTuple):
    status: int | None
    exc: Exception | None
    retry_after: float | None
    body: str
    reason: str = ""


class Sender:
    """Delivers `EncodedRequest`s to one remote-write endpoint."""

    def __init__(
        self,
        settings: RemoteWriteSettings,
        session: requests.Session | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        stats: Stats | None = None,
    ) -> None:
        self._settings = settings
        self._policy = RetryPolicy.from_settings(
            settings.retry_on_failure, permanent_errors=PERMANENT_REQUEST_ERRORS
        )
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            settle_environment(session, settings.endpoint, netrc=not has_configured_auth(settings))
        self._session = session
        self._watch_adapters()
        self.auth = ConfiguredAuth(settings, session)
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = random.Random() if rng is None else rng
        self.stats = Stats() if stats is None else stats
        self.failures = FailureLog(settings.endpoint, backlog=self._backlog, clock=clock)
        self._headers = {
            **settings.headers,
            "Content-Encoding": "snappy",
            "Content-Type": "application/x-protobuf",
            "X-Prometheus-Remote-Write-Version": "0.1.0",
            "User-Agent": USER_AGENT,
        }
        tls = settings.tls
        self._verify: bool | str | None = tls.ca_file
        if tls.insecure_skip_verify:
            self._verify = False
            logger.warning(
                "TLS certificate verification is disabled for %s (tls.insecure_skip_verify)",
                settings.endpoint,
            )
        self._cert: str | tuple[str, str] | None = tls.cert_file
        if tls.cert_file is not None and tls.key_file is not None:
            self._cert = (tls.cert_file, tls.key_file)
        proxy = settings.proxy_url
        self._proxies = {"http": proxy, "https": proxy} if proxy is not None else None
        self._closed = False
        self._last_success = float("-inf")  # on the clock: when a request was last taken

    def __repr__(self) -> str:
        return f"Sender(endpoint={self._settings.endpoint!r})"

    def _backlog(self) -> str:
        snapshot = self.stats.snapshot()
        return f"{snapshot.queue_depth} requests queued, {snapshot.samples_dropped} samples dropped"

    def _watch_adapters(self) -> None:
        """Let the watchdog cut attempts at their deadline, through plain adapters (those of
        a session we made, and requests' defaults); a custom adapter is its owner's."""
        for prefix, adapter in list(self._session.adapters.items()):
            if type(adapter) is HTTPAdapter:
                self._session.mount(prefix, watched(adapter))

    def _attempt(self, request: EncodedRequest, limit: float) -> _Attempt:
        """One POST, over by `limit` (on the clock) at the latest, its answer streamed."""
        with watchdog.watching(watchdog.clock() + limit - self._clock()) as watch:
            result = self._post(request, limit)
        if watch.expired and result.status is None:
            timeout = self._settings.timeout
            cut = requests.exceptions.ReadTimeout(f"no complete answer within {timeout:g}s")
            return _Attempt(None, cut, None, "")
        return result

    def _post(self, request: EncodedRequest, limit: float) -> _Attempt:
        try:
            response = self._session.post(
                self._settings.endpoint,
                data=request.payload,
                headers=self._headers,
                auth=self.auth.for_request(),
                timeout=max(limit - self._clock(), 0.001),
                verify=self._verify,
                cert=self._cert,
                proxies=self._proxies,
                allow_redirects=False,  # a redirected POST may arrive as a body-less GET
                stream=True,  # the body is read below, capped and by the deadline
            )
        except Exception as exc:  # an auth hook may raise anything; classify() decides
            return _Attempt(None, exc, None, "")
        try:
            status = response.status_code
            body = read_capped(response, limit, self._clock)
            if 200 <= status < 300:
                return _Attempt(status, None, None, "")
            header = response.headers.get("Retry-After")
            retry_after = None if header is None else parse_retry_after(header, self._wall_clock())
            return _Attempt(status, None, retry_after, loggable(body), response.reason or "")
        finally:
            response.close()

    def _describe(self, attempt: _Attempt) -> tuple[str, str]:
        """The failure's kind (what is logged once) and its description."""
        if attempt.exc is not None:
            kind = type(attempt.exc).__name__
            return kind, self.auth.redact(loggable(f"{kind}: {attempt.exc}".encode()))
        kind = f"HTTP {attempt.status} {loggable(attempt.reason.encode())}".rstrip()
        return kind, f"HTTP {attempt.status}: {attempt.body or attempt.reason}"

    def send(
        self, request: EncodedRequest, stop: threading.Event, deadline: float | None = None
    ) -> SendOutcome:
        """POST `request` until it is accepted, rejected, out of time, or `stop` is set.

        `deadline` (on the clock) ends the attempts, their waits included. Once `stop` is
        set there is no backoff: a failed attempt is the last one.
        """
        start = self._clock()
        attempts = 0
        status: int | None = None
        error = "no time left to send it"
        error_type = "timeout"
        refused_since: float | None = None  # when the first 5xx answered it
        while True:
            now = self._clock()
            limit = now + self._settings.timeout
            if deadline is not None:
                limit = min(limit, deadline)
            if limit <= now:
                return self._give_up(request, attempts, status, error, error_type)
            attempts += 1
            result = self._attempt(request, limit)
            status = result.status
            decision = self._policy.classify(result.status, result.exc)
            if decision == "success":
                self.stats.record_sent(request.samples)
                self.failures.delivered()
                self._last_success = self._clock()
                return SendOutcome(True, attempts, result.status)
            kind, error = self._describe(result)
            error_type = str(status) if result.exc is None else type(result.exc).__name__
            self.failures.attempt_failed(kind, error, hint_for(result.status, error))
            if decision == "permanent" or stop.is_set():
                return self._give_up(request, attempts, status, error, error_type)
            if status is not None and status >= 500:
                refused_since = start if refused_since is None else refused_since
                enough = SPLIT_AFTER if request.series > 1 else GIVE_UP_SERIES_AFTER
                if attempts >= enough and self._last_success > refused_since:
                    return self._split(request, stop, deadline, attempts, error, error_type)
            elapsed = self._clock() - start
            delay = self._policy.next_delay(attempts, elapsed, self._rng, result.retry_after)
            if delay is None or (deadline is not None and self._clock() + delay >= deadline):
                return self._give_up(request, attempts, status, error, error_type)
            logger.debug(
                "remote write attempt %d failed (%s); retry in %.3fs", attempts, error, delay
            )
            if stop.wait(delay):
                return self._give_up(request, attempts, status, error, error_type)
            self.stats.record_retry()

    def _split(
        self,
        request: EncodedRequest,
        stop: threading.Event,
        deadline: float | None,
        attempts: int,
        error: str,
        error_type: str,
    ) -> SendOutcome:
        """Send the request's halves one after the other (so its series stay in order); a
        single series still refused is given up, named, like a rejected request."""
        halves = split_request(request)
        if halves is None:
            name = series_name(request)
            self.failures.attempt_failed(
                "a series refused alone",
                f"{name}: {error}",
                "the backend takes other requests but not this series; it is given up",
            )
            return self._give_up(request, attempts, None, f"{name}: {error}", error_type)
        logger.debug("remote write: splitting a request refused %d times", attempts)
        first, second = (self.send(half, stop, deadline) for half in halves)
        delivered = first.delivered and second.delivered
        failed = first if not first.delivered else second
        return SendOutcome(
            delivered,
            attempts + first.attempts + second.attempts,
            second.status,
            None if delivered else failed.error,
            None if delivered else failed.error_type,
        )

    def _give_up(
        self,
        request: EncodedRequest,
        attempts: int,
        status: int | None,
        error: str,
        error_type: str,
    ) -> SendOutcome:
        self.stats.record_failed(request.samples)
        self.failures.gave_up()
        logger.debug("remote write gave up after %d attempt(s): %s", attempts, error)
        return SendOutcome(False, attempts, status, error, error_type)

    def after_fork_in_child(self) -> None:
        """Pooled connections are the parent's sockets, and their locks may have been held
        at the fork: plain adapters are replaced (a custom one is its owner's to renew)."""
        self.failures.after_fork_in_child()
        for prefix, adapter in list(self._session.adapters.items()):
            if type(adapter) in (HTTPAdapter, WatchedAdapter):
                self._session.mount(prefix, watched(HTTPAdapter()))

    def close(self) -> None:
        """Close the session if we created it; a session given to us belongs to the caller."""
        if self._owns_session and not self._closed:
            self._closed = True
            self._session.close()
