"""The backend fixtures work end to end with our Sender: write, then read back."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from tests.e2e.conftest import Backend, unique_metric_name
from tests.upstream_prw.payloads import encoded_request
from upstream_prw.config import RemoteWriteSettings
from upstream_prw.send.sender import Sender
from upstream_prw.send.stats import Stats

pytestmark = pytest.mark.e2e


def _sender(backend: Backend, stats: Stats | None = None) -> Sender:
    settings = RemoteWriteSettings.from_mapping(
        {"endpoint": backend.write_url, "retry_on_failure": {"max_elapsed_time": "10s"}}
    )
    return Sender(settings, stats=stats)


def test_written_samples_can_be_read_back(backend: Backend) -> None:
    name = unique_metric_name("e2e_sender_requests_total")
    now_ms = int(time.time() * 1000)
    labels = {"__name__": name, "job": "e2e", "instance": "127.0.0.1:1"}
    samples = [(now_ms - 3000, 1.0), (now_ms - 2000, 2.0), (now_ms - 1000, 5.0)]
    sender = _sender(backend)
    try:
        outcome = sender.send(encoded_request([(labels, samples)]), threading.Event())
    finally:
        sender.close()
    assert outcome.delivered, outcome
    backend.flush()

    at = now_ms / 1000
    (latest,) = backend.query(name, time=at)
    assert latest["metric"] == labels
    assert latest["value"][1] == "5"
    (count,) = backend.query(f"count_over_time({name}[1m])", time=at)
    assert count["value"][1] == "3"


def test_prometheus_out_of_order_sample_is_permanent(
    prometheus: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    name = unique_metric_name("e2e_out_of_order")
    labels = {"__name__": name, "job": "e2e"}
    now_ms = int(time.time() * 1000)
    stats = Stats()
    sender = _sender(prometheus, stats)
    try:
        first = sender.send(encoded_request([(labels, [(now_ms, 1.0)])]), threading.Event())
        assert first.delivered, first
        with caplog.at_level(logging.WARNING, logger="upstream_prw"):
            older = encoded_request([(labels, [(now_ms - 5000, 2.0)])])
            outcome = sender.send(older, threading.Event())
    finally:
        sender.close()
    assert (outcome.delivered, outcome.attempts, outcome.status) == (False, 1, 400)
    assert outcome.error is not None and "out of order sample" in outcome.error
    (record,) = caplog.records
    assert "failed: HTTP 400: out of order sample" in record.getMessage()
    assert record.levelno == logging.WARNING
    snapshot = stats.snapshot()
    assert (snapshot.requests_sent, snapshot.requests_failed, snapshot.requests_retried) == (
        1,
        1,
        0,
    )
