"""A deterministic MetricsData shaped like a busy service, for every benchmark here.

Half monotonic counters, 30% gauges, 20% explicit-bucket histograms with the SDK's default
bounds; five attributes per point; a resource with about ten attributes. Points are spread
over metrics of 100 points each.
"""

from __future__ import annotations

import random

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

__all__ = ["DEFAULT_BOUNDS", "POINTS_PER_METRIC", "make_metrics_data", "touch_everything"]

DEFAULT_BOUNDS = (0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0,
                  2500.0, 5000.0, 7500.0, 10000.0)  # fmt: skip
POINTS_PER_METRIC = 100
_CUMULATIVE = AggregationTemporality.CUMULATIVE
_START = 1_700_000_000_000_000_000


def _resource() -> Resource:
    return Resource(
        {
            "service.name": "checkout",
            "service.namespace": "shop",
            "service.instance.id": "checkout-7d9f8-abcde",
            "service.version": "1.4.2",
            "deployment.environment": "production",
            "host.name": "ip-10-0-12-34.ec2.internal",
            "host.arch": "amd64",
            "cloud.provider": "aws",
            "cloud.region": "us-east-1",
            "k8s.pod.name": "checkout-7d9f8-abcde",
            "telemetry.sdk.language": "python",
        }
    )


def make_metrics_data(points: int, collection: int = 1, seed: int = 42) -> MetricsData:
    """`points` data points; `collection` moves timestamps and values on, series stay."""
    rng = random.Random(seed)
    t = _START + collection * 15_000_000_000
    metrics = []
    n_metrics = max(1, points // POINTS_PER_METRIC)
    for m in range(n_metrics):
        share = m / n_metrics
        kind = "counter" if share < 0.5 else "gauge" if share < 0.8 else "histogram"
        data_points = []
        for p in range(min(POINTS_PER_METRIC, points - m * POINTS_PER_METRIC)):
            attributes = {
                "http.request.method": ("GET", "POST", "PUT", "DELETE")[p % 4],
                "http.route": f"/api/v1/resource{p % 25}",
                "http.response.status_code": (200, 201, 404, 500)[p // 25 % 4],
                "server.address": "checkout.shop.svc",
                "network.protocol.version": "1.1",
            }
            if kind == "histogram":
                counts = [rng.randrange(0, 50) * collection for _ in range(len(DEFAULT_BOUNDS) + 1)]
                data_points.append(
                    HistogramDataPoint(
                        attributes, _START, t, sum(counts), rng.random() * 1e4 * collection,
                        counts, DEFAULT_BOUNDS, 0.0, 9999.0,
                    )
                )  # fmt: skip
            else:
                value = rng.randrange(0, 10_000) * collection
                data_points.append(NumberDataPoint(attributes, _START, t, value))
        if kind == "counter":
            data = Sum(data_points, _CUMULATIVE, True)
            unit = "1"
        elif kind == "gauge":
            data = Gauge(data_points)  # type: ignore[assignment]
            unit = "By"
        else:
            data = Histogram(data_points, _CUMULATIVE)  # type: ignore[assignment]
            unit = "ms"
        metrics.append(Metric(f"app.{kind}.metric{m}", f"{kind} number {m}", unit, data))
    scope = InstrumentationScope("checkout.instrumentation", "1.0.0")
    return MetricsData([ResourceMetrics(_resource(), [ScopeMetrics(scope, metrics, "")], "")])


def touch_everything(metrics_data: MetricsData) -> int:
    """The floor: visit every point, attribute and bucket once and do nothing with them."""
    n = 0
    for rm in metrics_data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                for point in metric.data.data_points:
                    for _key, _value in point.attributes.items():
                        n += 1
                    counts = getattr(point, "bucket_counts", None)
                    if counts is not None:
                        for _c in counts:
                            n += 1
                    else:
                        n += 1
    return n
