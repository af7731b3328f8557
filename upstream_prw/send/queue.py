"""A bounded, sharded, in-memory send queue: one FIFO and one consumer thread per shard.

A series always maps to the same shard and each shard delivers strictly one request after
another, retries included, so per-series timestamp order holds (spec: sharding "MUST preserve
per-series sample ordering") while different shards send in parallel.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.send.negotiation import carried
from upstream_prw.send.stats import Stats

__all__ = ["Deliver", "ShardedQueue"]

logger = logging.getLogger(__name__)

Deliver = Callable[[EncodedRequest, threading.Event, "float | None"], object]
"""Sends one request: (request, stop event, deadline on `time.monotonic` or None). Once the
event is set it must not wait between attempts, and it must be done by the deadline."""


class ShardedQueue:
    """`put` never blocks; `flush` and `shutdown` wait with a timeout.

    Each shard holds at most its share of `queue_size` requests and of `max_bytes` of
    payload, in flight included, so a shard whose requests keep failing cannot take the room
    of the others. A request that does not fit is refused (put returns False) and its samples
    are counted as dropped. After `os.fork()` the child calls `after_fork_in_child`.
    """

    def __init__(
        self,
        num_consumers: int,
        queue_size: int,
        deliver: Deliver,
        *,
        max_bytes: int = 64 * 1024 * 1024,
        stats: Stats | None = None,
        name: str = "remote-write",
    ) -> None:
        if num_consumers < 1 or queue_size < 1 or max_bytes < 1:
            raise ValueError("num_consumers, queue_size and max_bytes must be at least 1")
        self._deliver = deliver
        self._name = name
        self._share = max(1, queue_size // num_consumers)
        self._share_bytes = max(1, max_bytes // num_consumers)
        self.stats = Stats() if stats is None else stats
        self._logged_kinds: set[str] = set()
        self._reset(num_consumers)

    def _reset(self, num_consumers: int) -> None:
        """Fresh locks, empty shards and new workers (at start, and in a forked child)."""
        self._lock = threading.Lock()
        self._work = [threading.Condition(self._lock) for _ in range(num_consumers)]
        self._settled = threading.Condition(self._lock)
        self._shards: list[deque[tuple[int, EncodedRequest]]] = [
            deque() for _ in range(num_consumers)
        ]
        # Per shard: sequence number of the last request put, and of the last one finished.
        # A shard is settled up to N once finished >= N, because it works strictly in order.
        self._put_seq = [0] * num_consumers
        self._done_seq = [0] * num_consumers
        self._held = [0] * num_consumers  # requests held per shard, in flight included
        self._held_bytes = [0] * num_consumers
        self._depth = 0
        self._closed = False
        self._stop = threading.Event()
        self._deadline: float | None = None  # set by shutdown: workers finish by then
        self._threads = [
            threading.Thread(target=self._run, args=(i,), name=f"{self._name}-{i}", daemon=True)
            for i in range(num_consumers)
        ]
        for thread in self._threads:
            thread.start()

    def after_fork_in_child(self) -> None:
        """In a child process: the parent's requests stay the parent's (it sends them), the
        locks may have been held at the fork, and the workers did not come along. (`stats`
        is the caller's to renew: it may be shared.)"""
        self._reset(len(self._shards))

    @property
    def depth(self) -> int:
        """Requests held now, in flight included."""
        with self._lock:
            return self._depth

    def put(self, request: EncodedRequest) -> bool:
        """Queue `request` on shard `request.shard % num_consumers`; False if its shard is
        full or the queue is shut down. A shard holding nothing takes any one request."""
        index = request.shard % len(self._shards)
        size = len(request.payload)
        with self._lock:
            held = self._held[index]
            fits = held < self._share and (
                held == 0 or self._held_bytes[index] + size <= self._share_bytes
            )
            if fits and not self._closed:
                self._put_seq[index] += 1
                self._shards[index].append((self._put_seq[index], request))
                self._held[index] += 1
                self._held_bytes[index] += size
                self._depth += 1
                self.stats.change_queue_depth(1)
                self._work[index].notify()
                return True
            closed = self._closed
        self.stats.record_dropped(carried(request))
        logger.debug(
            "queue %s: dropped %d samples", "closed" if closed else "full", carried(request)
        )
        return False

    def flush(self, timeout_s: float) -> bool:
        """Wait until every request put before this call is delivered or given up on.

        Must not be called from `deliver` (its own request could never settle).
        """
        with self._lock:
            target = list(self._put_seq)
            return self._settled.wait_for(
                lambda: all(d >= t for d, t in zip(self._done_seq, target, strict=True)),
                timeout_s,
            )

    def shutdown(self, timeout_s: float) -> bool:
        """Refuse new requests and stop waiting between attempts: each request still held
        gets at most one more attempt while time is left. Then abandon what is left and join
        the workers, all within `timeout_s`. True if every request was delivered or given up
        on by the sender and every worker has exited.

        A tenth of the timeout (at most half a second) is kept back from the attempts, so
        that workers can report their request before we return.
        """
        deadline = time.monotonic() + timeout_s
        with self._lock:
            self._closed = True
            self._deadline = deadline - min(0.1 * timeout_s, 0.5)
            for work in self._work:
                work.notify_all()
        self._stop.set()
        flushed = self.flush(max(0.0, self._deadline - time.monotonic()))
        abandoned = self._abandon_pending()
        if abandoned:
            requests, samples = abandoned
            logger.warning(
                "shutdown: %d queued requests (%d samples) were not sent", requests, samples
            )
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return flushed and not any(t.is_alive() for t in self._threads)

    def close_now(self) -> None:
        """Stop at once without waiting for anything (the exporter was dropped unshut)."""
        with self._lock:
            self._closed = True
            self._deadline = time.monotonic()
        self._stop.set()
        self._abandon_pending()

    def _abandon_pending(self) -> tuple[int, int] | None:
        """Give up on requests no worker has started; counted as failed."""
        requests = samples = 0
        with self._lock:
            for index, pending in enumerate(self._shards):
                while pending:
                    seq, request = pending.popleft()
                    self._finish(index, seq, request)
                    self.stats.record_failed(carried(request))
                    requests += 1
                    samples += carried(request)
                self._work[index].notify_all()
        return (requests, samples) if requests else None

    def _finish(self, index: int, seq: int, request: EncodedRequest) -> None:
        """Mark a request settled; the caller holds the lock. At shutdown, abandoned requests
        settle before the one still in flight, hence max()."""
        self._done_seq[index] = max(self._done_seq[index], seq)
        self._held[index] -= 1
        self._held_bytes[index] -= len(request.payload)
        self._depth -= 1
        self.stats.change_queue_depth(-1)
        self._settled.notify_all()

    def _run(self, index: int) -> None:
        pending, work, stop = self._shards[index], self._work[index], self._stop
        while True:
            with self._lock:
                while not pending and not stop.is_set():
                    work.wait()
                if not pending:
                    return
                seq, request = pending.popleft()
            try:
                self._deliver(request, stop, self._deadline)
            except Exception as exc:  # a consumer must outlive any bug in deliver
                self._report(exc, request)
            with self._lock:
                self._finish(index, seq, request)

    def _report(self, exc: Exception, request: EncodedRequest) -> None:
        self.stats.record_failed(carried(request))
        kind = type(exc).__qualname__
        with self._lock:
            first = kind not in self._logged_kinds
            self._logged_kinds.add(kind)
        if first:
            logger.error(
                "remote write consumer failed (%s); %d samples lost",
                kind,
                request.samples,
                exc_info=exc,
            )
        else:
            logger.debug("remote write consumer failed again (%s): %s", kind, exc)
