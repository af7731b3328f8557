"""The exporter's own metrics (otel.sdk.exporter.*), read back through an InMemoryMetricReader,
with the exporter sending to a local receiver."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult

from tests.upstream_prw.builders import counter, data, hist_point, histogram, number
from tests.upstream_prw.hostile import refused_url
from tests.upstream_prw.receiver import Receiver, Step
from upstream_prw import ConfigError, PrometheusRemoteWriteExporter
from upstream_prw.telemetry import (
    COMPONENT_TYPE,
    DURATION,
    DURATION_BUCKETS,
    EXPORTED,
    INFLIGHT,
    new_telemetry,
)

NO_RETRY = {"enabled": False}


@pytest.fixture
def memory() -> Iterator[tuple[MeterProvider, InMemoryMetricReader]]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    yield provider, reader
    provider.shutdown()


def _points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    collected = reader.get_metrics_data()
    assert collected is not None
    return {
        metric.name: list(metric.data.data_points)
        for rm in collected.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    }


def _three_points() -> Any:
    return data(
        counter("orders", number(3, {"shop": "a"}), number(4, {"shop": "b"})),
        histogram("latency", hist_point([1.0, 5.0], [1, 2, 0], total=7.0)),
    )


def test_the_exported_counter_equals_the_points_and_success_carries_204(
    receiver: Receiver, memory: tuple[MeterProvider, InMemoryMetricReader]
) -> None:
    provider, reader = memory
    exporter = PrometheusRemoteWriteExporter(
        endpoint=receiver.url, meter_provider=provider, send_stale_markers_on_shutdown=False
    )
    exporter.export(_three_points())
    exporter.export(data(counter("orders", number(5, {"shop": "a"}))))
    assert exporter.force_flush()
    points = _points(reader)
    (exported,) = points[EXPORTED]
    assert exported.value == 4
    assert "error.type" not in exported.attributes
    (inflight,) = points[INFLIGHT]
    assert inflight.value == 0
    (duration,) = points[DURATION]
    assert duration.count == 2  # one per export
    assert tuple(duration.explicit_bounds) == DURATION_BUCKETS  # seconds, not milliseconds
    attributes = dict(duration.attributes)
    assert attributes.pop("http.response.status_code") == 204
    name = attributes.pop("otel.component.name")
    assert re.fullmatch(re.escape(COMPONENT_TYPE) + r"/\d+", name)
    assert attributes == {
        "otel.component.type": COMPONENT_TYPE,
        "server.address": "127.0.0.1",
        "server.port": int(receiver.url.split(":")[2].split("/")[0]),
    }
    assert dict(exported.attributes) == {**attributes, "otel.component.name": name}
    exporter.shutdown()


def test_a_503_is_counted_failed_with_its_error_type(
    receiver: Receiver, memory: tuple[MeterProvider, InMemoryMetricReader]
) -> None:
    provider, reader = memory
    receiver.responder = lambda: Step(503, body="overloaded")
    exporter = PrometheusRemoteWriteExporter(
        endpoint=receiver.url,
        meter_provider=provider,
        retry_on_failure=NO_RETRY,
        send_stale_markers_on_shutdown=False,
    )
    exporter.export(_three_points())
    assert exporter.force_flush()
    points = _points(reader)
    (exported,) = points[EXPORTED]
    assert (exported.value, exported.attributes["error.type"]) == (3, "503")
    (duration,) = points[DURATION]
    assert duration.attributes["error.type"] == "503"
    assert duration.attributes["http.response.status_code"] == 503
    assert points[INFLIGHT][0].value == 0
    exporter.shutdown()


def test_points_stay_in_flight_until_their_request_is_done(
    receiver: Receiver, memory: tuple[MeterProvider, InMemoryMetricReader]
) -> None:
    provider, reader = memory
    receiver.script(Step(204, delay=1.0))
    exporter = PrometheusRemoteWriteExporter(
        endpoint=receiver.url, meter_provider=provider, send_stale_markers_on_shutdown=False
    )
    exporter.export(_three_points())
    points = _points(reader)
    assert points[INFLIGHT][0].value == 3
    assert EXPORTED not in points
    assert exporter.force_flush()
    points = _points(reader)
    assert (points[INFLIGHT][0].value, points[EXPORTED][0].value) == (0, 3)
    exporter.shutdown()


def test_without_the_queue_a_refused_port_gives_the_exception_class(
    memory: tuple[MeterProvider, InMemoryMetricReader],
) -> None:
    provider, reader = memory
    exporter = PrometheusRemoteWriteExporter(
        endpoint=refused_url(),
        meter_provider=provider,
        retry_on_failure=NO_RETRY,
        remote_write_queue={"enabled": False},
        send_stale_markers_on_shutdown=False,
    )
    exporter.export(_three_points())
    points = _points(reader)
    (exported,) = points[EXPORTED]
    assert (exported.value, exported.attributes["error.type"]) == (3, "ConnectionError")
    assert "http.response.status_code" not in points[DURATION][0].attributes
    exporter.shutdown()


def test_a_full_queue_and_an_export_after_shutdown_are_counted_failed(
    receiver: Receiver, memory: tuple[MeterProvider, InMemoryMetricReader]
) -> None:
    provider, reader = memory
    receiver.script(Step(204, delay=1.0))
    exporter = PrometheusRemoteWriteExporter(
        endpoint=receiver.url,
        meter_provider=provider,
        remote_write_queue={"num_consumers": 1, "queue_size": 2},
        send_stale_markers_on_shutdown=False,
    )
    for value in range(3):  # held: one in flight (answered slowly), one queued; one refused
        exporter.export(data(counter("orders", number(value))))
    assert exporter.force_flush()
    exporter.shutdown()
    exporter.export(data(counter("orders", number(9))))
    by_error = {p.attributes.get("error.type"): p.value for p in _points(reader)[EXPORTED]}
    assert by_error == {None: 2, "queue_full": 1, "already_shutdown": 1}


def test_instances_are_numbered_by_type() -> None:
    provider = MeterProvider()
    first = new_telemetry("https://h.example/w", provider)
    second = new_telemetry("http://h.example:8080/w", provider)
    assert first is not None and second is not None
    a = int(first.attributes["otel.component.name"].rsplit("/", 1)[1])
    b = int(second.attributes["otel.component.name"].rsplit("/", 1)[1])
    assert b == a + 1
    assert (first.attributes["server.port"], second.attributes["server.port"]) == (443, 8080)
    provider.shutdown()


def test_off_unless_switched_on(monkeypatch: pytest.MonkeyPatch) -> None:
    assert new_telemetry("http://h/w", environ={}) is None
    assert (
        new_telemetry("http://h/w", environ={"OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED": "no"})
        is None
    )
    assert new_telemetry("http://h/w", environ={"OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED": "True"})
    exporter = PrometheusRemoteWriteExporter(endpoint="http://127.0.0.1:9/w")
    assert exporter._telemetry is None
    exporter.shutdown()
    monkeypatch.setenv("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED", "true")
    exporter = PrometheusRemoteWriteExporter(endpoint="http://127.0.0.1:9/w")
    assert exporter._telemetry is not None
    exporter.shutdown()


def test_names_and_units_are_the_semantic_conventions() -> None:
    from opentelemetry.semconv._incubating.metrics import otel_metrics

    assert otel_metrics.OTEL_SDK_EXPORTER_METRIC_DATA_POINT_EXPORTED == EXPORTED
    assert otel_metrics.OTEL_SDK_EXPORTER_METRIC_DATA_POINT_INFLIGHT == INFLIGHT
    assert otel_metrics.OTEL_SDK_EXPORTER_OPERATION_DURATION == DURATION


def test_a_meter_provider_that_is_not_one_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as raised:
        PrometheusRemoteWriteExporter(endpoint="http://127.0.0.1:9/w", meter_provider={})  # type: ignore[arg-type]
    assert str(raised.value) == "meter_provider: expected an OpenTelemetry MeterProvider, got dict"


class _Broken(metrics.NoOpMeterProvider):
    """A provider whose instruments raise: recording must cost the export nothing."""

    def get_meter(self, *args: Any, **kwargs: Any) -> metrics.Meter:
        meter = super().get_meter(*args, **kwargs)

        def fail(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("broken instrument")

        for create in ("create_counter", "create_up_down_counter", "create_histogram"):
            instrument = getattr(meter, create)("x")
            instrument.add = instrument.record = fail
            setattr(meter, create, lambda *a, _i=instrument, **k: _i)
        return meter


def test_an_instrument_that_raises_costs_the_export_nothing(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = PrometheusRemoteWriteExporter(endpoint=receiver.url, meter_provider=_Broken())
    assert exporter.export(_three_points()) == MetricExportResult.SUCCESS
    assert exporter.export(_three_points()) == MetricExportResult.SUCCESS
    assert exporter.force_flush()
    exporter.shutdown()
    assert receiver.received
    assert caplog.text.count("recording the exporter's own metrics failed") == 1
