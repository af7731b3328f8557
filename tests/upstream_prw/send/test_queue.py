"""ShardedQueue: per-series order under parallel retries, bounds, flush and shutdown."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from typing import Any

import pytest

from tests.upstream_prw.payloads import encoded_request, series_shard
from tests.upstream_prw.receiver import Receiver, Step
from upstream_prw.config import RemoteWriteSettings, RetrySettings
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.send.queue import ShardedQueue
from upstream_prw.send.sender import Sender
from upstream_prw.send.stats import Stats


def _request(shard: int, samples: int = 1) -> EncodedRequest:
    return EncodedRequest(shard=shard, payload=b"x", raw_size=1, series=1, samples=samples)


class _Gate:
    """A deliver function that holds every request until released."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.started = threading.Semaphore(0)
        self.delivered: list[EncodedRequest] = []

    def __call__(
        self, request: EncodedRequest, stop: threading.Event, deadline: float | None
    ) -> None:
        self.started.release()
        self.open.wait(5.0)
        self.delivered.append(request)


def test_parallel_consumers_keep_each_series_in_timestamp_order(receiver: Receiver) -> None:
    rng = random.Random(7)
    lock = threading.Lock()

    def flaky() -> Step:
        with lock:
            return Step(503) if rng.random() < 0.3 else Step(204)

    receiver.responder = flaky
    retry = RetrySettings(initial_interval=0.001, max_interval=0.005, max_elapsed_time=0)
    stats = Stats()
    sender = Sender(
        RemoteWriteSettings(endpoint=receiver.url, retry_on_failure=retry),
        rng=random.Random(1),
        stats=stats,
    )
    queue = ShardedQueue(4, 1000, sender.send, stats=stats)
    series = [{"__name__": "requests_total", "job": "shop", "pod": f"p{i}"} for i in range(12)]
    assert len({series_shard(labels) % 4 for labels in series}) > 1
    expected: dict[str, list[int]] = defaultdict(list)
    for step in range(15):
        for labels in series:
            timestamp = 1_000_000 + step * 1000
            assert queue.put(encoded_request([(labels, [(timestamp, float(step))])]))
            expected[labels["pod"]].append(timestamp)
    assert queue.flush(20.0)
    assert queue.shutdown(5.0)

    accepted: dict[str, list[int]] = defaultdict(list)
    for received in receiver.received:
        if received.status == 204:
            for labels, samples in received.series():
                accepted[labels["pod"]].extend(ts for ts, _ in samples)
    assert accepted == expected
    snapshot = stats.snapshot()
    assert snapshot.requests_sent == 180 and snapshot.samples_sent == 180
    assert snapshot.requests_retried == len(receiver.received) - 180 > 0
    assert snapshot.queue_depth == 0


def test_one_shard_delivers_in_put_order_while_others_proceed() -> None:
    delivered: list[int] = []
    blocked = threading.Event()

    def deliver(request: EncodedRequest, stop: threading.Event, deadline: float | None) -> None:
        if request.shard == 1:
            blocked.wait(5.0)
        delivered.append(request.samples)

    queue = ShardedQueue(2, 100, deliver)
    for number in range(1, 6):
        queue.put(_request(shard=1, samples=number))
    queue.put(_request(shard=0, samples=100))
    assert queue.flush(0.05) is False
    assert delivered == [100]  # shard 0 was not held up by shard 1
    blocked.set()
    assert queue.flush(5.0)
    assert delivered == [100, 1, 2, 3, 4, 5]
    queue.shutdown(1.0)


def test_full_queue_refuses_without_blocking_and_counts_the_drop() -> None:
    gate = _Gate()
    stats = Stats()
    queue = ShardedQueue(1, 2, gate, stats=stats)
    assert queue.put(_request(0, samples=3))
    assert queue.put(_request(0, samples=3))
    started = time.monotonic()
    assert queue.put(_request(0, samples=5)) is False
    assert time.monotonic() - started < 0.1
    assert stats.snapshot().samples_dropped == 5
    assert stats.snapshot().queue_depth == 2
    gate.open.set()
    assert queue.flush(5.0)
    assert queue.put(_request(0))  # room again
    assert queue.shutdown(5.0)
    assert stats.snapshot().queue_depth == 0


def test_flush_waits_for_delivery() -> None:
    gate = _Gate()
    queue = ShardedQueue(3, 10, gate)
    for shard in range(6):
        queue.put(_request(shard))
    assert queue.flush(0.05) is False
    threading.Timer(0.05, gate.open.set).start()
    assert queue.flush(5.0)
    assert len(gate.delivered) == 6
    assert queue.depth == 0
    assert queue.shutdown(1.0)


def test_flush_of_an_empty_queue_returns_at_once() -> None:
    queue = ShardedQueue(2, 10, lambda request, stop, deadline: None)
    assert queue.flush(0.0)
    assert queue.shutdown(1.0)


def test_shutdown_interrupts_a_long_retry_after(receiver: Receiver) -> None:
    receiver.script(Step(429, headers={"Retry-After": "30"}))
    stats = Stats()
    sender = Sender(RemoteWriteSettings(endpoint=receiver.url), stats=stats)
    queue = ShardedQueue(2, 10, sender.send, stats=stats)
    assert queue.put(encoded_request([({"__name__": "up"}, [(1000, 1.0)])]))
    receiver.wait_for(1)
    started = time.monotonic()
    assert queue.shutdown(1.0) is True  # the wait is cut short and the request given up
    assert time.monotonic() - started < 0.5
    assert stats.snapshot().requests_failed == 1
    assert queue.put(_request(0)) is False


def test_shutdown_abandons_requests_no_worker_started(caplog: pytest.LogCaptureFixture) -> None:
    hold = threading.Event()

    def stuck(request: EncodedRequest, stop: threading.Event, deadline: float | None) -> None:
        hold.wait(5.0)  # a deliver that keeps no deadline: shutdown keeps its own

    stats = Stats()
    queue = ShardedQueue(1, 10, stuck, stats=stats)
    for _ in range(4):
        queue.put(_request(0, samples=2))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="upstream_prw"):
        assert queue.shutdown(0.1) is False
    assert time.monotonic() - started < 0.6
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["shutdown: 3 queued requests (6 samples) were not sent"]
    snapshot = stats.snapshot()
    assert (snapshot.requests_failed, snapshot.samples_failed) == (3, 6)
    assert snapshot.queue_depth == 1  # the one still in flight
    hold.set()


def test_put_after_shutdown_is_refused() -> None:
    stats = Stats()
    queue = ShardedQueue(2, 10, lambda request, stop, deadline: None, stats=stats)
    assert queue.shutdown(1.0)
    assert queue.put(_request(0, samples=4)) is False
    assert stats.snapshot().samples_dropped == 4
    assert queue.shutdown(1.0)  # idempotent


def test_workers_survive_exceptions_logged_once_per_kind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    delivered: list[int] = []

    def deliver(request: EncodedRequest, stop: threading.Event, deadline: float | None) -> None:
        if request.samples == 1:
            raise ValueError("bug one")
        if request.samples == 2:
            raise KeyError("bug two")
        delivered.append(request.samples)

    stats = Stats()
    queue = ShardedQueue(1, 10, deliver, stats=stats)
    with caplog.at_level(logging.ERROR, logger="upstream_prw"):
        for samples in (1, 1, 2, 1, 7):
            queue.put(_request(0, samples))
        assert queue.flush(5.0)
    assert delivered == [7]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "remote write consumer failed (ValueError); 1 samples lost",
        "remote write consumer failed (KeyError); 2 samples lost",
    ]
    assert stats.snapshot().requests_failed == 4
    assert queue.shutdown(1.0)


def test_workers_are_named_daemon_threads() -> None:
    queue = ShardedQueue(3, 10, lambda request, stop, deadline: None, name="prw-test")
    names = {t.name: t.daemon for t in threading.enumerate() if t.name.startswith("prw-test-")}
    assert names == {"prw-test-0": True, "prw-test-1": True, "prw-test-2": True}
    assert queue.shutdown(1.0)
    assert not any(t.name.startswith("prw-test-") for t in threading.enumerate())


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ShardedQueue(0, 10, lambda request, stop, deadline: None)


def test_each_shard_holds_at_most_its_share_of_requests_and_bytes() -> None:
    gate = _Gate()
    stats = Stats()
    # 2 shards: each holds at most 3 requests and 1000 payload bytes.
    queue = ShardedQueue(2, 6, gate, max_bytes=2000, stats=stats)

    def sized(shard: int, size: int) -> EncodedRequest:
        return EncodedRequest(shard=shard, payload=b"x" * size, raw_size=size, series=1, samples=1)

    assert queue.put(sized(0, 1500))  # an empty shard takes any one request
    assert not queue.put(sized(0, 1))  # ... and then nothing more over its bytes
    assert [queue.put(sized(1, 300)) for _ in range(4)] == [True, True, True, False]
    assert stats.snapshot().samples_dropped == 2
    gate.open.set()
    assert queue.flush(5.0)
    assert queue.put(sized(0, 900)) and queue.put(sized(1, 900))  # room again once sent
    assert queue.shutdown(5.0)


def test_a_stuck_shard_does_not_crowd_out_the_others() -> None:
    release = threading.Event()
    delivered: list[int] = []

    def deliver(request: EncodedRequest, stop: threading.Event, deadline: float | None) -> None:
        if request.shard == 0:
            release.wait(5.0)  # a backend refusing this shard's request again and again
        delivered.append(request.shard)

    queue = ShardedQueue(2, 10, deliver)
    refused = sum(not queue.put(_request(0)) for _ in range(100))
    assert refused == 100 - 5  # shard 0 holds its share, 5, and no more
    assert all(queue.put(_request(1)) for _ in range(5))  # shard 1's share is untouched
    assert _wait_until(lambda: delivered.count(1) == 5)
    release.set()
    assert queue.shutdown(5.0)


def _wait_until(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
