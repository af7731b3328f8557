"""The I/O edge: POST one encoded request, retrying per the policy, and report what happened.

Every attempt is a fresh `session.post(...)`, so an auth hook on the session (a SigV4 signer)
signs each retry anew. No retrying adapter is mounted; waits happen on the caller's stop event
so shutdown interrupts them. Every attempt ends by a wall-clock limit (`timeout`, and the
caller's deadline), the answer is streamed and at most 64 KiB of it kept. `send` never
raises: it returns a `SendOutcome`; failures reach the log through `FailureLog`, the first
of each kind at once. A 2.0 request the receiver turns down (see `negotiation`) is sent
again as 1.0, and so is one still waiting when another's answer turned 2.0 down.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from upstream_prw.config import RemoteWriteSettings
from upstream_prw.config.translation import V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.downgrade import to_v1
from upstream_prw.send.failures import FailureLog, hint_for
from upstream_prw.send.halves import first_series_name, split_in_two
from upstream_prw.send.negotiation import Negotiation, Written, carried, turned_down
from upstream_prw.send.response import loggable
from upstream_prw.send.retry import RetryPolicy
from upstream_prw.send.session import has_configured_auth, settle_environment
from upstream_prw.send.stats import Stats
from upstream_prw.send.transport import Transport

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
        self._transport = Transport(settings, session, clock=clock, wall_clock=wall_clock)
        self.auth = self._transport.auth
        self._clock = clock
        self._rng = random.Random() if rng is None else rng
        self.stats = Stats() if stats is None else stats
        self.failures = FailureLog(settings.endpoint, backlog=self._backlog, clock=clock)
        self.negotiation = Negotiation.from_settings(settings, clock=clock)
        self._closed = False
        self._last_success = float("-inf")  # on the clock: when a request was last taken

    def __repr__(self) -> str:
        return f"Sender(endpoint={self._settings.endpoint!r})"

    def _backlog(self) -> str:
        snapshot = self.stats.snapshot()
        return f"{snapshot.queue_depth} requests queued, {snapshot.samples_dropped} samples dropped"

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
            if request.message == V2_MESSAGE and self.negotiation.refused():
                return self._as_v1(request, stop, deadline, attempts)  # queued or retried
            now = self._clock()
            limit = now + self._settings.timeout
            if deadline is not None:
                limit = min(limit, deadline)
            if limit <= now:
                return self._give_up(request, attempts, status, error, error_type)
            attempts += 1
            result = self._transport.attempt(request, limit)
            status = result.status
            if request.message == V2_MESSAGE:
                answer = turned_down(status, result.written, result.reason, result.body)
                if answer:
                    return self._as_v1(request, stop, deadline, attempts, answer, status)
            decision = self._policy.classify(result.status, result.exc)
            if decision == "success":
                self._delivered(request, result.written)
                return SendOutcome(True, attempts, result.status)
            kind, error = self._transport.describe(result)
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

    def _delivered(self, request: EncodedRequest, written: Written | None) -> None:
        self.stats.record_sent(carried(request))
        if written is not None:  # a 1.0 answer may carry them too; only 2.0's are compared
            v2 = request.message == V2_MESSAGE
            fewer = v2 and self.negotiation.accepted(request, written)
            self.stats.record_written(
                written.samples, written.histograms, written.exemplars, fewer=fewer
            )
        self.failures.delivered()
        self._last_success = self._clock()

    def _as_v1(
        self,
        request: EncodedRequest,
        stop: threading.Event,
        deadline: float | None,
        attempts: int,
        answer: str = "",
        status: int | None = None,
    ) -> SendOutcome:
        """Send a 2.0 request's data as 1.0: `answer` turned it down (none: 2.0 had been
        turned down before it went). After a 400, only 1.0 being taken says "1.x receiver";
        a 400 to the 1.0 requests too is the data's fault, and final."""
        if answer and status != 400:
            self.negotiation.refuse(answer)
        try:
            parts = to_v1(request, self._settings.max_batch_size_bytes)
        except Exception as exc:  # a request we cannot read cannot go as 1.0 either
            error = f"cannot turn a 2.0 request into 1.0: {type(exc).__name__}: {exc}"
            self.failures.attempt_failed("unreadable 2.0 request", loggable(error.encode()), "")
            return self._give_up(request, attempts, status, error, type(exc).__name__)
        outcomes = [self.send(part, stop, deadline) for part in parts]
        if answer and status == 400 and all(outcome.delivered for outcome in outcomes):
            self.negotiation.refuse(answer)
        return _combined(attempts, outcomes)

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
        halves = split_in_two(request)
        if halves is None:
            name = first_series_name(request)
            self.failures.attempt_failed(
                "a series refused alone",
                f"{name}: {error}",
                "the backend takes other requests but not this series; it is given up",
            )
            return self._give_up(request, attempts, None, f"{name}: {error}", error_type)
        logger.debug("remote write: splitting a request refused %d times", attempts)
        return _combined(attempts, [self.send(half, stop, deadline) for half in halves])

    def _give_up(
        self,
        request: EncodedRequest,
        attempts: int,
        status: int | None,
        error: str,
        error_type: str,
    ) -> SendOutcome:
        self.stats.record_failed(carried(request))
        self.failures.gave_up()
        logger.debug("remote write gave up after %d attempt(s): %s", attempts, error)
        return SendOutcome(False, attempts, status, error, error_type)

    def after_fork_in_child(self) -> None:
        """Pooled connections are the parent's sockets, and their locks may have been held
        at the fork: plain adapters are replaced (a custom one is its owner's to renew)."""
        self.failures.after_fork_in_child()
        self.negotiation.after_fork_in_child()
        self._transport.after_fork_in_child()

    def close(self) -> None:
        """Close the session if we created it; a session given to us belongs to the caller."""
        if self._owns_session and not self._closed:
            self._closed = True
            self._session.close()


def _combined(attempts: int, outcomes: list[SendOutcome]) -> SendOutcome:
    """One outcome for requests sent in place of one: delivered when all were; the error
    of the first that was not."""
    failed = next((outcome for outcome in outcomes if not outcome.delivered), None)
    return SendOutcome(
        failed is None,
        attempts + sum(outcome.attempts for outcome in outcomes),
        outcomes[-1].status if outcomes else None,
        None if failed is None else failed.error,
        None if failed is None else failed.error_type,
    )
