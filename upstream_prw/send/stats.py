"""Counters shared by the sender, the queue and the exporter: a lock and a few ints.

The `*_written` counts are what Remote Write 2.0 receivers say they wrote (their
`X-Prometheus-Remote-Write-*-Written` headers); 1.0 receivers say nothing, so they stay 0.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["Stats", "StatsSnapshot"]


@dataclass(frozen=True, kw_only=True)
class StatsSnapshot:
    """The counters at one instant; `queue_depth` is current, the rest are totals."""

    samples_sent: int = 0
    samples_failed: int = 0
    samples_dropped: int = 0
    requests_sent: int = 0
    requests_failed: int = 0
    requests_retried: int = 0
    queue_depth: int = 0
    samples_written: int = 0
    histograms_written: int = 0
    exemplars_written: int = 0
    requests_written_fewer: int = 0


class Stats:
    """Thread-safe counters; every method is cheap enough to call per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._samples_sent = 0
        self._samples_failed = 0
        self._samples_dropped = 0
        self._requests_sent = 0
        self._requests_failed = 0
        self._requests_retried = 0
        self._queue_depth = 0
        self._written = [0, 0, 0]  # samples, histograms, exemplars
        self._written_fewer = 0

    def after_fork_in_child(self) -> None:
        """A lock held at the fork would never be released here; nothing is queued yet."""
        self._lock = threading.Lock()
        self._queue_depth = 0

    def record_sent(self, samples: int) -> None:
        """One request accepted by the backend."""
        with self._lock:
            self._requests_sent += 1
            self._samples_sent += samples

    def record_failed(self, samples: int) -> None:
        """One request given up on: permanent rejection, retries exhausted, or shutdown."""
        with self._lock:
            self._requests_failed += 1
            self._samples_failed += samples

    def record_written(
        self, samples: int, histograms: int, exemplars: int, *, fewer: bool = False
    ) -> None:
        """What a 2.0 receiver said it wrote of one request it took; `fewer` when that was
        less than the request carried."""
        with self._lock:
            self._written[0] += samples
            self._written[1] += histograms
            self._written[2] += exemplars
            self._written_fewer += fewer

    def record_retry(self) -> None:
        """One more attempt of a request that failed transiently."""
        with self._lock:
            self._requests_retried += 1

    def record_dropped(self, samples: int) -> None:
        """Samples never sent: the translator could not express them, or the queue was full."""
        with self._lock:
            self._samples_dropped += samples

    def change_queue_depth(self, delta: int) -> None:
        with self._lock:
            self._queue_depth += delta

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return StatsSnapshot(
                samples_sent=self._samples_sent,
                samples_failed=self._samples_failed,
                samples_dropped=self._samples_dropped,
                requests_sent=self._requests_sent,
                requests_failed=self._requests_failed,
                requests_retried=self._requests_retried,
                queue_depth=self._queue_depth,
                samples_written=self._written[0],
                histograms_written=self._written[1],
                exemplars_written=self._written[2],
                requests_written_fewer=self._written_fewer,
            )
