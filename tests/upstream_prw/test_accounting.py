"""An export that could not send everything is summarised: the first at once, then at most
one line a minute, which says how many exports it stands for; all are counted."""

from __future__ import annotations

import logging

import pytest

from tests.upstream_prw.fakes import FakeClock
from upstream_prw.accounting import ExportLog
from upstream_prw.encode import EncodedRequest, EncodeReport
from upstream_prw.send.stats import Stats
from upstream_prw.translate import Dropped


def test_summaries_are_throttled_but_everything_is_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    stats = Stats()
    log = ExportLog(stats, queued=True, clock=clock)
    refused = [EncodedRequest(0, b"x", 1, 1, 7)]
    report = EncodeReport(requests=2, dropped=[Dropped("m", "no faithful form", 3)])
    with caplog.at_level(logging.WARNING, logger="upstream_prw"):
        for _ in range(100):
            log.account(report, refused)
            clock.now += 0.5  # 50 s in all: one line
        clock.now += 10.0
        log.account(report, refused)  # a minute after the first: the next line
    assert [r.getMessage() for r in caplog.records] == [
        "remote write export: 3 points not translatable: 'm': no faithful form (3); "
        "1 of 2 requests (7 samples) not queued (queue full)",
        "remote write export: 3 points not translatable: 'm': no faithful form (3); "
        "1 of 2 requests (7 samples) not queued (queue full) "
        "(and 99 more exports like it in the last minute)",
    ]
    assert stats.snapshot().samples_dropped == 101 * 3
