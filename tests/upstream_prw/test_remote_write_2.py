"""The exporter sending Remote Write 2.0 end to end, into a receiver that checks every
request against the 2.0 MUSTs: start timestamps, metadata types, stale markers, UTF-8
names, and the fallback to 1.0 with no sample lost."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.metrics import Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View

from tests.upstream_prw.receiver_v2 import ReceiverV2, is_stale
from upstream_prw import new_exporter
from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE
from upstream_prw.proto import remote_v2_pb2 as v2

COUNTER = v2.Metadata.METRIC_TYPE_COUNTER
GAUGE = v2.Metadata.METRIC_TYPE_GAUGE
HISTOGRAM = v2.Metadata.METRIC_TYPE_HISTOGRAM


def _exporter(url: str, **settings: Any) -> Any:
    return new_exporter(
        {
            "endpoint": url,
            "protobuf_message": V2_MESSAGE,
            "remote_write_queue": {"enabled": False},
            "retry_on_failure": {"max_elapsed_time": "2s"},
            **settings,
        }
    )


def _collect(records: int = 1) -> Any:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    meter = provider.get_meter("shop", "1.0")
    requests = meter.create_counter("http.server.requests", unit="{request}")
    latency = meter.create_histogram("http.server.request.duration", unit="s")
    meter.create_observable_gauge(
        "process.open_fds", callbacks=[lambda _: [Observation(7)]], unit="{fd}"
    )
    for i in range(records):
        requests.add(1, {"http.request.method": "GET"})
        latency.record(0.05 * (i + 1), {"http.request.method": "GET"})
    data = reader.get_metrics_data()
    provider.shutdown()
    return data


def _series(rx: ReceiverV2) -> dict[str, list[tuple[Any, v2.TimeSeries, list[str]]]]:
    """2.0 series by name, with their request's symbols."""
    out: dict[str, list[tuple[Any, v2.TimeSeries, list[str]]]] = {}
    for arrival in rx.arrivals:
        if arrival.v2 is None:
            continue
        symbols = list(arrival.v2.symbols)
        for ts in arrival.v2.timeseries:
            refs = list(ts.labels_refs)
            labels = {symbols[refs[i]]: symbols[refs[i + 1]] for i in range(0, len(refs), 2)}
            out.setdefault(labels["__name__"], []).append((labels, ts, symbols))
    return out


def test_every_request_keeps_the_2_0_rules_with_start_timestamps_and_metadata() -> None:
    with ReceiverV2("v2") as rx:
        exporter = _exporter(rx.url)
        exporter.export(_collect(3))
        exporter.shutdown(timeout_millis=2000)  # stale markers, as 2.0 too
    assert rx.violations == []
    assert {a.message for a in rx.arrivals} == {V2_MESSAGE}
    series = _series(rx)
    (counter,) = [ts for _, ts, _ in series["http_server_requests_total"] if not _stale(ts)]
    assert counter.metadata.type == COUNTER
    (sample,) = counter.samples
    assert 0 < sample.start_timestamp <= sample.timestamp and sample.value == 3
    buckets = [ts for _, ts, _ in series["http_server_request_duration_seconds_bucket"]]
    assert {ts.metadata.type for ts in buckets} == {HISTOGRAM}
    assert all(s.start_timestamp for ts in buckets for s in ts.samples if not is_stale(s.value))
    (gauge, *_) = series["process_open_fds"]
    assert gauge[1].metadata.type == GAUGE and gauge[1].samples[0].start_timestamp == 0
    _, _, symbols = series["http_server_request_duration_seconds_bucket"][0]
    assert symbols[buckets[0].metadata.unit_ref] == "seconds"
    # shutdown ended every series with a stale marker
    assert all(any(_stale(ts) for _, ts, _ in found) for found in series.values())
    assert exporter.stats.samples_written > 0


def _stale(ts: v2.TimeSeries) -> bool:
    return any(is_stale(s.value) for s in ts.samples)


def test_native_histograms_carry_their_start_timestamp() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(
        metric_readers=[reader],
        views=[View(instrument_name="size", aggregation=ExponentialBucketHistogramAggregation())],
    )
    histogram = provider.get_meter("m").create_histogram("size", unit="By")
    for value in (1, 10, 100):
        histogram.record(value)
    with ReceiverV2("v2") as rx:
        exporter = _exporter(rx.url, send_stale_markers_on_shutdown=False)
        exporter.export(reader.get_metrics_data())
        exporter.shutdown(timeout_millis=2000)
    provider.shutdown()
    assert rx.violations == []
    ((_, ts, _),) = _series(rx)["size_bytes"]
    (h,) = ts.histograms
    assert h.count_int == 3 and 0 < h.start_timestamp <= h.timestamp
    assert ts.metadata.type == HISTOGRAM


def test_utf8_names_are_kept_on_the_wire() -> None:
    with ReceiverV2("v2") as rx:
        exporter = _exporter(
            rx.url,
            translation_strategy="NoUTF8EscapingWithSuffixes",
            send_stale_markers_on_shutdown=False,
        )
        exporter.export(_collect())
        exporter.shutdown(timeout_millis=2000)
    assert rx.violations == []
    series = _series(rx)
    assert "http.server.requests_total" in series
    assert "http.server.request.duration_seconds_bucket" in series
    labels, _, _ = series["http.server.requests_total"][0]
    assert labels["http.request.method"] == "GET" and labels["otel_scope_name"] == "shop"


@pytest.mark.parametrize("mode", ["415", "no-written"])
def test_a_receiver_without_2_0_gets_everything_as_1_0_and_the_next_export_too(
    mode: str,
) -> None:
    with ReceiverV2(mode) as rx:
        exporter = _exporter(rx.url, send_stale_markers_on_shutdown=False)
        data = _collect(2)
        exporter.export(data)
        first = rx.written()
        exporter.export(_collect(3))
        exporter.shutdown(timeout_millis=2000)
    messages = [a.message for a in rx.arrivals]
    assert messages[0] == V2_MESSAGE and set(messages[1:]) == {V1_MESSAGE}
    names = {dict(labels)["__name__"] for labels, _, _ in first}
    assert {"http_server_requests_total", "process_open_fds"} <= names
    assert len(first) == len(set(first))  # no sample written twice
