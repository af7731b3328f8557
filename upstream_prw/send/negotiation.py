"""Which Remote Write message goes out, and what a receiver's answer says about it.

The 2.0 specification has no handshake: a sender posts a 2.0 request and reads the answer.
A 415 says "not this content type"; a 2xx without any `X-Prometheus-Remote-Write-*-Written`
header is a 1.x receiver that decoded the 2.0 bytes as an empty 1.0 request (the spec's
SHOULD: take it as 415); a 400 without those headers is what a 1.x receiver may answer too.
Once refused, requests go out as 1.0, and 2.0 is tried again at most once an hour.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from upstream_prw.config import RemoteWriteSettings
from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.send.failures import endpoint_name
from upstream_prw.send.response import loggable

__all__ = [
    "RETRY_V2_AFTER",
    "WRITTEN_HEADERS",
    "Negotiation",
    "Written",
    "carried",
    "protocol_headers",
    "read_written",
    "turned_down",
]

logger = logging.getLogger("upstream_prw.send")

RETRY_V2_AFTER = 3600.0
"""Seconds after a refusal before one export tries 2.0 again: a receiver upgraded in the
meantime is found within the hour, and a 1.x one costs one resent export an hour."""

WRITTEN_HEADERS = (
    "X-Prometheus-Remote-Write-Samples-Written",
    "X-Prometheus-Remote-Write-Histograms-Written",
    "X-Prometheus-Remote-Write-Exemplars-Written",
)

_MAX_DIGITS = 18  # below 2**63: a count no request comes near, and no huge int to build

_HEADERS = {
    V1_MESSAGE: {
        "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0",
    },
    V2_MESSAGE: {
        "Content-Type": f"application/x-protobuf;proto={V2_MESSAGE}",
        "X-Prometheus-Remote-Write-Version": "2.0.0",
    },
}


def protocol_headers(message: str) -> dict[str, str]:
    """The headers that say which message a body holds (1.0's as 1.x receivers expect)."""
    return {"Content-Encoding": "snappy", **_HEADERS[message]}


@dataclass(frozen=True, slots=True)
class Written:
    """What a receiver said it wrote; a header missing or unreadable counts 0."""

    samples: int = 0
    histograms: int = 0
    exemplars: int = 0


def _count(value: str) -> int:
    text = value.strip()
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return 0
    return int(text)


def read_written(headers: Mapping[str, str]) -> Written | None:
    """The `*-Written` counts of an answer, or None when it has none of those headers."""
    values = [headers.get(name) for name in WRITTEN_HEADERS]
    if all(value is None for value in values):
        return None
    samples, histograms, exemplars = (_count(value or "") for value in values)
    return Written(samples, histograms, exemplars)


def carried(request: EncodedRequest) -> int:
    """Samples of every kind in a request: what the counters count (1.0 counts histograms
    among its samples already)."""
    if request.message == V2_MESSAGE:
        return request.samples + request.histograms
    return request.samples


def turned_down(status: int | None, written: Written | None, reason: str, body: str) -> str:
    """Why an answer to a 2.0 request may mean "not 2.0" (empty when it does not): 415;
    a 2xx without `*-Written` headers; a 400 without them (a 1.x receiver's way, or bad
    data: only resending it as 1.0 tells)."""
    if status is None:
        return ""
    said = f"HTTP {status} {loggable(reason.encode())}".rstrip()
    if status == 415:
        return f"{said}: {body}" if body else said
    if written is not None:
        return ""
    if 200 <= status < 300:
        return f"{said} without any X-Prometheus-Remote-Write-*-Written header"
    if status == 400:
        return f"{said}: {body}" if body else said
    return ""


class Negotiation:
    """Whether this endpoint takes 2.0: asked once per export (`use_v2`) and per request
    (`refused`), told by the sender what answers said. Thread-safe."""

    def __init__(
        self,
        message: str = V1_MESSAGE,
        *,
        endpoint: str = "",
        clock: Callable[[], float] = time.monotonic,
        retry_after: float = RETRY_V2_AFTER,
    ) -> None:
        self.message = message
        self._where = endpoint_name(endpoint) if endpoint else "the endpoint"
        self._clock = clock
        self._retry_after = retry_after
        self._lock = threading.Lock()
        self._refused_at: float | None = None  # on the clock; None while 2.0 is in use
        self._next_try = 0.0
        self._probing = False  # 2.0 tried again after a refusal, no answer yet
        self._refusals = 0
        self._fewer_logged = False
        self.last_refusal = ""  # the answer that turned 2.0 down last, as logged

    @classmethod
    def from_settings(
        cls, settings: RemoteWriteSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> Negotiation:
        return cls(settings.protobuf_message, endpoint=settings.endpoint, clock=clock)

    def __repr__(self) -> str:
        return f"Negotiation(message={self.message!r}, refused={self.refused()})"

    def after_fork_in_child(self) -> None:
        """A lock held at the fork would never be released; what was learnt still holds."""
        self._lock = threading.Lock()

    def use_v2(self) -> bool:
        """Encode this export as 2.0? When configured so and not refused, or refused long
        enough ago that this export tries 2.0 again (at most once per `retry_after`)."""
        if self.message != V2_MESSAGE:
            return False
        with self._lock:
            refused_at = self._refused_at
            if refused_at is None:
                return True
            now = self._clock()
            if now < self._next_try:
                return False
            self._refused_at = None
            self._probing = True
            self._next_try = now + self._retry_after
        logger.info(
            "remote write to %s: trying Remote Write 2.0 again (turned down %.0f minutes ago)",
            self._where,
            (now - refused_at) / 60,
        )
        return True

    def refused(self) -> bool:
        """Has the receiver turned 2.0 down (so 2.0 requests still queued go as 1.0)?"""
        with self._lock:
            return self._refused_at is not None

    def refuse(self, answer: str) -> None:
        """The receiver turned a 2.0 request down with `answer`: 1.0 from now on, and one
        line saying so (WARNING the first time, INFO after each hourly try)."""
        with self._lock:
            if self._refused_at is not None:
                return  # another shard's answer said it already
            now = self._clock()
            self._refused_at = now
            self._next_try = now + self._retry_after
            self._probing = False
            self._refusals += 1
            first = self._refusals == 1
            self.last_refusal = answer
        logger.log(
            logging.WARNING if first else logging.INFO,
            "remote write to %s: the receiver does not take Remote Write 2.0 (%s); "
            "sending Remote Write 1.0 (%s) instead, and trying 2.0 again in %.0f minutes",
            self._where,
            answer,
            V1_MESSAGE,
            self._retry_after / 60,
        )

    def accepted(self, request: EncodedRequest, written: Written) -> bool:
        """A 2.0 request was taken with `written` counts: True when they fall short of what
        it carried (logged the first time only; such a request is not sent again)."""
        with self._lock:
            probing, self._probing = self._probing, False
            fewer = (
                written.samples < request.samples
                or written.histograms < request.histograms
                or written.exemplars < request.exemplars
            )
            first_fewer = fewer and not self._fewer_logged
            self._fewer_logged = self._fewer_logged or fewer
        if probing:
            logger.info("remote write to %s: the receiver takes Remote Write 2.0", self._where)
        if first_fewer:
            logger.warning(
                "remote write to %s: the receiver answered 2xx but wrote %d of %d samples, "
                "%d of %d histograms, %d of %d exemplars; the rest is not sent again (counted "
                "in stats.requests_written_fewer; logged once)",
                self._where,
                written.samples,
                request.samples,
                written.histograms,
                request.histograms,
                written.exemplars,
                request.exemplars,
            )
        return fewer
