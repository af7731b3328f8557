"""Stats: exact totals under concurrent updates."""

from __future__ import annotations

import threading

from upstream_prw.send.stats import Stats, StatsSnapshot


def test_counts_are_exact_across_threads() -> None:
    stats = Stats()

    def work() -> None:
        for _ in range(1000):
            stats.record_sent(3)
            stats.record_failed(1)
            stats.record_retry()
            stats.record_dropped(2)
            stats.change_queue_depth(1)
            stats.change_queue_depth(-1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stats.snapshot() == StatsSnapshot(
        samples_sent=24000,
        samples_failed=8000,
        samples_dropped=16000,
        requests_sent=8000,
        requests_failed=8000,
        requests_retried=8000,
        queue_depth=0,
    )
