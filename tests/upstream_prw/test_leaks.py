"""An exporter leaves nothing behind: dropped without shutdown() its threads stop once it is
collected; created and shut down over and over, no thread or file descriptor stays."""

from __future__ import annotations

import gc
import os
import threading
import time

from tests.upstream_prw.builders import data, gauge, number
from tests.upstream_prw.receiver import Receiver
from upstream_prw import new_exporter


def _workers() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("remote-write-"))


def _wait_for(condition: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_dropped_exporters_stop_their_threads_once_collected(receiver: Receiver) -> None:
    before = _workers()
    for _ in range(40):
        exporter = new_exporter({"endpoint": receiver.url})
        exporter.export(data(gauge("g", number(1))))
        del exporter
    gc.collect()
    assert _wait_for(lambda: _workers() == before), f"{_workers() - before} workers left"


def test_create_and_shutdown_leaves_no_thread_or_descriptor(receiver: Receiver) -> None:
    def open_descriptors() -> int:
        return len(os.listdir("/proc/self/fd"))

    exporter = new_exporter({"endpoint": receiver.url})  # warm up imports and pools once
    exporter.export(data(gauge("g", number(1))))
    exporter.shutdown()
    gc.collect()
    threads, descriptors = threading.active_count(), open_descriptors()
    for value in range(30):
        exporter = new_exporter({"endpoint": receiver.url})
        exporter.export(data(gauge("g", number(value))))
        exporter.shutdown()
    del exporter
    gc.collect()
    assert _wait_for(lambda: threading.active_count() <= threads)
    assert open_descriptors() <= descriptors + 2  # the receiver's own may still be closing
