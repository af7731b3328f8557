"""The exporter as the exporter of the very MeterProvider it records into, switched on by
OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED, through the global provider, as auto-instrumentation
and declarative configuration build it. In a fresh interpreter: the global is set once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.upstream_prw.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]

APP = """\
import json, sys
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, PeriodicExportingMetricReader
from upstream_prw import PrometheusRemoteWriteExporter

# Built before the global provider is set, as the SDK's configurators do.
exporter = PrometheusRemoteWriteExporter(endpoint=sys.argv[1], send_stale_markers_on_shutdown=False)
memory = InMemoryMetricReader()
reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
provider = MeterProvider(metric_readers=[reader, memory])
metrics.set_meter_provider(provider)
requests = metrics.get_meter("app").create_counter("app.requests")
for _ in range(10):  # ten collections, each exporting what the last one recorded
    requests.add(1)
    provider.force_flush(5000)
exporter.force_flush(5000)
found = {
    m.name: [(dict(p.attributes), getattr(p, "value", None)) for p in m.data.data_points]
    for rm in memory.get_metrics_data().resource_metrics
    for sm in rm.scope_metrics
    for m in sm.metrics
}
provider.shutdown(timeout_millis=5000)
print(json.dumps({"found": found, "sent": exporter.stats.samples_sent}))
"""


def _run(url: str, **env: str) -> dict[str, object]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run(
        [sys.executable, "-c", APP, url],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _sent_series(receiver: Receiver) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for request in receiver.received:
        for labels, samples in request.series():
            out.setdefault(labels["__name__"], []).extend(value for _, value in samples)
    return out


def test_exporting_its_own_provider_counts_itself_without_feeding_itself(
    receiver: Receiver,
) -> None:
    result = _run(receiver.url, OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED="true")
    found = result["found"]
    assert isinstance(found, dict)
    ((attributes, exported),) = found["otel.sdk.exporter.metric_data_point.exported"]
    assert attributes["otel.component.type"] == "upstream_prw.PrometheusRemoteWriteExporter"
    assert "error.type" not in attributes
    assert found["otel.sdk.exporter.metric_data_point.inflight"][0][1] == 0
    series = _sent_series(receiver)
    # What it sent of itself is what it had counted by then: growing, one export at a time.
    sent_counts = series["otel_sdk_exporter_metric_data_point_exported_total"]
    assert sent_counts == sorted(sent_counts)
    assert 0 < sent_counts[-1] <= exported
    # The telemetry adds the same few series at every export: nothing grows.
    distinct = {
        tuple(sorted(labels.items())) for r in receiver.received for labels, _ in r.series()
    }
    ours = [labels for labels in distinct if dict(labels)["__name__"].startswith("otel_sdk_exp")]
    names = {dict(labels)["__name__"] for labels in ours}
    assert "otel_sdk_exporter_operation_duration_seconds_bucket" in names
    assert len(ours) <= 20, sorted(ours)  # 16 buckets, sum, count; exported, inflight


def test_switched_off_nothing_of_its_own_is_recorded_or_sent(receiver: Receiver) -> None:
    result = _run(receiver.url)
    found = result["found"]
    assert isinstance(found, dict)
    assert set(found) == {"app.requests"}
    assert not [name for name in _sent_series(receiver) if name.startswith("otel_sdk")]
    assert "app_requests_total" in _sent_series(receiver)
