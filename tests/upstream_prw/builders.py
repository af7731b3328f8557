"""Small constructors for SDK MetricsData, so tests state only what matters to them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Buckets,
    ExponentialHistogram,
    ExponentialHistogramDataPoint,
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

from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.encoder import EncodeReport, MetricsEncoder
from upstream_prw.translate.settings import TranslationSettings

T0 = 1_700_000_000_000_000_000  # ns
T1 = T0 + 15_000_000_000
CUMULATIVE = AggregationTemporality.CUMULATIVE
DELTA = AggregationTemporality.DELTA
RESOURCE = {"service.name": "api", "service.namespace": "shop", "service.instance.id": "i-1"}


def number(value: float, attrs: Mapping[str, Any] | None = None, t: int = T1) -> NumberDataPoint:
    return NumberDataPoint(dict(attrs or {}), T0, t, value)


def counter(
    name: str, *points: NumberDataPoint, unit: str = "", temporality: Any = CUMULATIVE
) -> Metric:
    return Metric(name, "help " + name, unit, Sum(list(points), temporality, True))


def updown(name: str, *points: NumberDataPoint, unit: str = "") -> Metric:
    return Metric(name, "", unit, Sum(list(points), CUMULATIVE, False))


def gauge(name: str, *points: NumberDataPoint, unit: str = "") -> Metric:
    return Metric(name, "", unit, Gauge(list(points)))


def hist_point(
    bounds: Sequence[float],
    counts: Sequence[int],
    total: float = 0.0,
    attrs: Mapping[str, Any] | None = None,
    t: int = T1,
    start: int = T0,
) -> HistogramDataPoint:
    return HistogramDataPoint(
        dict(attrs or {}), start, t, sum(counts), total, list(counts), list(bounds), 0.0, 1.0
    )


def histogram(
    name: str, *points: HistogramDataPoint, unit: str = "", temporality: Any = CUMULATIVE
) -> Metric:
    return Metric(name, "", unit, Histogram(list(points), temporality))


def exp_point(
    scale: int,
    positive: tuple[int, Sequence[int]],
    negative: tuple[int, Sequence[int]] = (0, ()),
    zero_count: int = 0,
    total: float = 0.0,
    attrs: Mapping[str, Any] | None = None,
    t: int = T1,
) -> ExponentialHistogramDataPoint:
    count = zero_count + sum(positive[1]) + sum(negative[1])
    return ExponentialHistogramDataPoint(
        dict(attrs or {}),
        T0,
        t,
        count,
        total,
        scale,
        zero_count,
        Buckets(positive[0], list(positive[1])),
        Buckets(negative[0], list(negative[1])),
        0,
        0.0,
        1.0,
    )


def exp_histogram(name: str, *points: ExponentialHistogramDataPoint, unit: str = "") -> Metric:
    return Metric(name, "", unit, ExponentialHistogram(list(points), CUMULATIVE))


def data(
    *metrics: Metric,
    resource: Mapping[str, Any] | None = None,
    scope: InstrumentationScope | None = None,
) -> MetricsData:
    res = (
        Resource.create(dict(RESOURCE if resource is None else resource))
        if resource is None
        else Resource(dict(resource))
    )
    scope = scope or InstrumentationScope("lib", "1.2")
    return MetricsData([ResourceMetrics(res, [ScopeMetrics(scope, list(metrics), "")], "")])


def encode(
    metrics_data: MetricsData,
    settings: TranslationSettings | None = None,
    encoder: MetricsEncoder | None = None,
) -> tuple[list[EncodedRequest], EncodeReport]:
    encoder = encoder or MetricsEncoder(settings or TranslationSettings())
    out: list[EncodedRequest] = []
    report = encoder.encode(metrics_data, out.append)
    return out, report
