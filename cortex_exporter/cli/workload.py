"""The demo's application: one of each instrument kind, recorded with a seeded random source.

Exports happen when `export()` is called (the reader has no timer), so the demo can report
each one as it completes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable

from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import (
    ExplicitBucketHistogramAggregation,
    ExponentialBucketHistogramAggregation,
    View,
)
from opentelemetry.sdk.resources import Resource

__all__ = ["INSTRUMENTS", "SERVICE_NAME", "Workload"]

SERVICE_NAME = "cortex-exporter-demo"
INSTRUMENTS = (
    ("counter", "demo.requests"),
    ("gauge", "demo.queue.depth"),
    ("histogram", "demo.request.duration"),
    ("exponential histogram", "demo.response.size"),
)
_ROUTES = ("/", "/cart")


class Workload:
    """A small service's metrics, exported through `exporter` on demand."""

    def __init__(self, exporter: MetricExporter, *, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self._depth = 0
        self._reader = PeriodicExportingMetricReader(exporter, export_interval_millis=math.inf)
        self._provider = MeterProvider(
            metric_readers=[self._reader],
            resource=Resource({"service.name": SERVICE_NAME, "service.instance.id": "demo-1"}),
            views=[
                View(
                    instrument_name="demo.request.duration",
                    aggregation=ExplicitBucketHistogramAggregation((10, 25, 50, 100, 250)),
                ),
                View(
                    instrument_name="demo.response.size",
                    aggregation=ExponentialBucketHistogramAggregation(max_size=80),
                ),
            ],
        )
        meter = self._provider.get_meter("cortex_exporter.cli.demo")
        self._requests = meter.create_counter(
            "demo.requests", unit="{request}", description="Requests handled"
        )
        self._duration = meter.create_histogram(
            "demo.request.duration", unit="ms", description="Time to handle a request"
        )
        self._size = meter.create_histogram(
            "demo.response.size", unit="By", description="Response body size"
        )
        meter.create_observable_gauge(
            "demo.queue.depth",
            callbacks=[self._observe_depth],
            unit="{item}",
            description="Jobs waiting",
        )

    def _observe_depth(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(self._depth, {"queue": "orders"})]

    def tick(self) -> None:
        """Handle a few simulated requests."""
        rng = self._rng
        for _ in range(rng.randint(2, 6)):
            route = rng.choice(_ROUTES)
            self._requests.add(1, {"route": route})
            self._duration.record(rng.lognormvariate(3.3, 0.7))
            self._size.record(rng.randint(200, 60_000))
        self._depth = max(0, self._depth + rng.randint(-3, 4))

    def export(self, timeout_millis: float = 10_000) -> None:
        """Collect, export, and wait until the exporter has delivered (or given up), or for
        `timeout_millis` at most."""
        self._reader.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        """A last export, then the exporter's shutdown (stale markers, flush)."""
        self._provider.shutdown(timeout_millis=timeout_millis)
