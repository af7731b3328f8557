"""Failures are visible at once, then summarised, never logged per request."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from tests.upstream_prw.builders import data, gauge, number
from tests.upstream_prw.fakes import FakeClock
from tests.upstream_prw.hostile import refused_url
from tests.upstream_prw.receiver import Receiver, Step
from upstream_prw import new_exporter
from upstream_prw.send.failures import FailureLog, endpoint_name


class _Arrivals(logging.Handler):
    """Notes when each WARNING arrives."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.first = threading.Event()
        self.records: list[tuple[float, logging.LogRecord]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("upstream_prw.send"):
            self.records.append((time.monotonic(), record))
            self.first.set()


@pytest.fixture
def arrivals() -> Iterator[_Arrivals]:
    handler = _Arrivals()
    logger = logging.getLogger("upstream_prw")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _first_warning_after_export(url: str, handler: _Arrivals) -> tuple[float, str]:
    exporter = new_exporter({"endpoint": url})
    started = time.monotonic()
    exporter.export(data(gauge("g", number(1))))
    assert handler.first.wait(5.0), "no WARNING at all"
    exporter.shutdown(timeout_millis=200)
    arrived, record = handler.records[0]
    return arrived - started, record.getMessage()


def test_a_refused_port_is_a_warning_within_two_seconds(arrivals: _Arrivals) -> None:
    url = refused_url()
    took, message = _first_warning_after_export(url, arrivals)
    assert took < 2.0
    assert message.startswith(f"remote write to {endpoint_name(url)} failed: ConnectionError")
    assert "cannot be reached" in message


@pytest.mark.parametrize(
    ("status", "hint"),
    [(403, "refuses these credentials"), (503, "failed to take the request")],
)
def test_an_http_failure_is_a_warning_within_two_seconds(
    receiver: Receiver, arrivals: _Arrivals, status: int, hint: str
) -> None:
    receiver.responder = lambda: Step(status, body="nope")
    took, message = _first_warning_after_export(receiver.url, arrivals)
    assert took < 2.0
    assert f"failed: HTTP {status}: nope; the backend {hint}" in message


def test_the_endpoint_is_named_without_its_credentials() -> None:
    assert endpoint_name("https://user:secret@aps.example:8443/w") == "aps.example:8443"
    assert endpoint_name("http://[::1]/w") == "[::1]:80"
    assert endpoint_name("https://h/w") == "h:443"


def test_first_of_each_kind_at_once_then_a_summary_a_minute_then_recovery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    log = FailureLog("http://h:9/w", backlog=lambda: "3 requests queued", clock=clock)
    with caplog.at_level(logging.INFO, logger="upstream_prw"):
        for _ in range(50):  # 50 failed attempts within the same second: one line
            log.attempt_failed("HTTP 503", "HTTP 503: busy", "hint")
        log.attempt_failed("ConnectionError", "ConnectionError: refused", "hint")  # new kind
        log.gave_up()
        clock.now += 30
        log.attempt_failed("HTTP 503", "HTTP 503: busy", "hint")  # too soon for a summary
        clock.now += 31
        log.attempt_failed("HTTP 503", "HTTP 503: busy", "hint")  # a minute on: summary
        log.delivered()
        log.delivered()  # recovered once only
        log.attempt_failed("HTTP 503", "HTTP 503: busy", "hint")  # after recovery: new again
    assert [r.levelname for r in caplog.records] == [
        "WARNING",
        "WARNING",
        "WARNING",
        "INFO",
        "WARNING",
    ]
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "remote write to h:9 failed: HTTP 503: busy; hint"
    assert messages[1] == "remote write to h:9 failed: ConnectionError: refused; hint"
    assert messages[2] == (
        "remote write to h:9 still failing: 2 failed attempts since the last report "
        "(53 in all, 1 requests given up); 3 requests queued; last: HTTP 503: busy"
    )
    assert (
        messages[3]
        == "remote write to h:9 recovered after 53 failed attempts (1 requests given up)"
    )
