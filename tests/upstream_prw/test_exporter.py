"""The exporter end to end against the local receiver: SDK path, queue, shutdown, sessions."""

from __future__ import annotations

import logging
import math
import struct
import sys
from pathlib import Path

import pytest
import requests
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExportResult,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource

from tests.upstream_prw.builders import counter, data, gauge, number
from tests.upstream_prw.receiver import Receiver, Step
from upstream_prw import ConfigError, PrometheusRemoteWriteExporter, new_exporter
from upstream_prw.translate.model import STALE_NAN_BITS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from workload import make_metrics_data


def _samples(rx: Receiver) -> dict[str, list[tuple[int, float]]]:
    out: dict[str, list[tuple[int, float]]] = {}
    for request in rx.received:
        for labels, samples in request.series():
            out.setdefault(labels["__name__"], []).extend(samples)
    return out


def test_real_sdk_path_delivers_counter_and_histogram(receiver: Receiver) -> None:
    exporter = new_exporter({"endpoint": receiver.url})
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
    provider = MeterProvider(
        metric_readers=[reader], resource=Resource.create({"service.name": "checkout"})
    )
    meter = provider.get_meter("test.meter", "0.1")
    meter.create_counter("orders", unit="1").add(3, {"region": "eu"})
    meter.create_histogram("latency", unit="ms").record(7.0)
    meter.create_gauge("temperature", unit="Cel").set(21.5)
    provider.force_flush()
    provider.shutdown()
    got = _samples(receiver)
    assert got["orders_total"][0][1] == 3
    assert got["latency_milliseconds_count"][0][1] == 1
    assert got["latency_milliseconds_sum"][0][1] == 7.0
    assert got["temperature_celsius"][0][1] == 21.5
    # shutdown sent a stale marker after the data for every series
    stale = got["orders_total"][-1][1]
    assert struct.unpack("<Q", struct.pack("<d", stale))[0] == STALE_NAN_BITS
    headers = receiver.received[0].headers
    assert headers["Content-Encoding"] == "snappy"
    assert headers["Content-Type"] == "application/x-protobuf"
    assert headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
    assert headers["User-Agent"].startswith("otel-cortex-exporter/")


def test_prefers_cumulative_for_every_instrument(receiver: Receiver) -> None:
    exporter = new_exporter({"endpoint": receiver.url})
    assert set(exporter._preferred_temporality.values()) == {AggregationTemporality.CUMULATIVE}
    assert len(exporter._preferred_temporality) >= 6
    exporter.shutdown()


def test_every_request_goes_through_the_given_session(receiver: Receiver) -> None:
    calls = []

    class CountingAuth(requests.auth.AuthBase):
        def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
            calls.append(r.url)
            r.headers["X-Signed"] = str(len(calls))
            return r

    session = requests.Session()
    session.auth = CountingAuth()
    receiver.script(Step(status=503), Step(status=204))
    exporter = new_exporter(
        {
            "endpoint": receiver.url,
            "retry_on_failure": {"initial_interval": "1ms"},
            "target_info": {"enabled": False},
        },
        session,
    )
    assert exporter.export(data(gauge("g", number(1)))) is MetricExportResult.SUCCESS
    assert exporter.force_flush(5_000)
    assert [r.headers["X-Signed"] for r in receiver.received] == ["1", "2"]
    exporter.shutdown()
    assert exporter.stats.requests_retried == 1


def test_synchronous_mode_reports_failure_and_logs_one_line(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script(Step(status=400, body="out of order sample"))
    exporter = new_exporter({"endpoint": receiver.url, "remote_write_queue": {"enabled": False}})
    with caplog.at_level(logging.WARNING, logger="upstream_prw.exporter"):
        result = exporter.export(data(gauge("g", number(1)), gauge("h", number(2))))
    assert result is MetricExportResult.FAILURE
    summary = [r for r in caplog.records if r.name == "upstream_prw.exporter"]
    assert len(summary) == 1 and "not sent" in summary[0].getMessage()
    assert exporter.stats.samples_failed > 0
    exporter.shutdown()


def test_full_queue_is_failure_and_counted(receiver: Receiver) -> None:
    receiver.script(Step(delay=1.0))
    exporter = new_exporter(
        {
            "endpoint": receiver.url,
            "max_batch_size_bytes": 300,
            "remote_write_queue": {"queue_size": 1, "num_consumers": 1},
        }
    )
    points = [number(i, {"i": str(i)}) for i in range(20)]
    assert exporter.export(data(gauge("g", *points))) is MetricExportResult.FAILURE
    assert exporter.stats.samples_dropped > 0
    exporter.shutdown(5_000)


def test_export_after_shutdown_fails(receiver: Receiver) -> None:
    exporter = new_exporter({"endpoint": receiver.url})
    exporter.shutdown()
    assert exporter.export(data(gauge("g", number(1)))) is MetricExportResult.FAILURE


def test_stale_marker_when_a_series_disappears(receiver: Receiver) -> None:
    exporter = new_exporter(
        {
            "endpoint": receiver.url,
            "send_stale_markers_on_shutdown": False,
            "target_info": {"enabled": False},
        }
    )
    later = number(0).time_unix_nano + 10**10
    exporter.export(data(counter("a", number(1, {"k": "1"}), number(1, {"k": "2"}))))
    exporter.export(data(counter("a", number(2, {"k": "1"}, t=later))))
    exporter.force_flush()
    exporter.shutdown()
    by_k: dict[str, list[tuple[int, float]]] = {}
    for request in receiver.received:
        for labels, samples in request.series():
            by_k.setdefault(labels["k"], []).extend(samples)
    gone, stays = by_k["2"], by_k["1"]
    assert gone[0][1] == 1 and math.isnan(gone[-1][1]) and gone[-1][0] > gone[0][0]
    assert [value for _, value in stays] == [1, 2]


def test_bad_settings_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^retry_on_failure\.max_interval: "):
        new_exporter({"endpoint": "http://x", "retry_on_failure": {"max_interval": "fast"}})


def test_100k_points_split_below_max_batch_size_and_all_arrive(receiver: Receiver) -> None:
    exporter = new_exporter({"endpoint": receiver.url, "target_info": {"enabled": False}})
    assert isinstance(exporter, PrometheusRemoteWriteExporter)
    metrics_data = make_metrics_data(100_000)
    assert exporter.export(metrics_data) is MetricExportResult.SUCCESS
    assert exporter.force_flush(60_000)
    exporter.shutdown()
    received = receiver.received
    limit = exporter.settings.max_batch_size_bytes
    import cramjam

    sizes = [len(bytes(cramjam.snappy.decompress_raw(r.body))) for r in received]
    assert len(received) > 1 and max(sizes) <= limit
    expected = 50_000 + 30_000 + 20_000 * 18  # counters, gauges, histogram series
    series = {
        tuple(sorted(labels.items()))
        for r in received
        for labels, s in r.series()
        if not math.isnan(s[0][1])
    }
    assert len(series) == expected
