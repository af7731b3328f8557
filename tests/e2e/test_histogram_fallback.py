"""Exponential histograms reach backends without native histograms as classic ones, and
`histogram_quantile` over them lands in the right bucket: VictoriaMetrics, and Prometheus
started without `--enable-feature=native-histograms`."""

from __future__ import annotations

import time

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View

from tests.e2e.conftest import Backend, unique_metric_name
from upstream_prw import new_exporter

pytestmark = pytest.mark.e2e

MEDIAN = 1.5
OBSERVATIONS = [0.3] * 30 + [MEDIAN] * 50 + [7.0] * 20  # the 50th and 51st are 1.5


@pytest.mark.parametrize("name", ["victoria_metrics", "prometheus_classic"])
def test_histogram_quantile_over_the_classic_fallback(
    name: str, request: pytest.FixtureRequest
) -> None:
    backend: Backend = request.getfixturevalue(name)
    metric = unique_metric_name("e2e_fallback_latency")
    reader = InMemoryMetricReader()
    provider = MeterProvider(
        metric_readers=[reader],
        views=[View(instrument_name=metric, aggregation=ExponentialBucketHistogramAggregation())],
    )
    histogram = provider.get_meter("e2e").create_histogram(metric, unit="s")
    for value in OBSERVATIONS:
        histogram.record(value)
    exporter = new_exporter(
        {
            "endpoint": backend.write_url,
            "send_native_histograms": False,
            "remote_write_queue": {"enabled": False},
            "send_stale_markers_on_shutdown": False,
            "retry_on_failure": {"max_elapsed_time": "10s"},
        }
    )
    try:
        exporter.export(reader.get_metrics_data())
        stats = exporter.stats
    finally:
        exporter.shutdown()
        provider.shutdown()
    assert (stats.requests_failed, stats.samples_failed) == (0, 0), stats
    backend.flush()

    series = f"{metric}_seconds_bucket"
    at = time.time()
    buckets = backend.query_eventually(series, time=at)
    bounds = sorted(float(b["metric"]["le"]) for b in buckets)
    assert 3 <= len(bounds) <= 41, bounds  # 40 buckets at most, and +Inf
    upper = min(b for b in bounds if b >= MEDIAN)
    lower = max(b for b in bounds if b < MEDIAN)
    (quantile,) = backend.query(f"histogram_quantile(0.5, {series})", time=at)
    assert lower < float(quantile["value"][1]) <= upper, (lower, quantile, upper)
    (count,) = backend.query(f"{metric}_seconds_count", time=at)
    assert float(count["value"][1]) == len(OBSERVATIONS)
