"""OpenTelemetry metrics as Prometheus series: names, labels, per-metric plans, point values.

Pure: no I/O. The encoder asks `PlanCache.walk` for each metric's `MetricPlan` (made once,
reused while the metric recurs) and the functions of `points` for each point's values;
`TranslationSettings` is all it needs of the configuration.
"""

from __future__ import annotations

from upstream_prw.translate.delta import fold_delta
from upstream_prw.translate.labels import Labels, ResourceLabels
from upstream_prw.translate.model import (
    NOT_LATER,
    STALE_NAN,
    Dropped,
    ExemplarOut,
    Series,
    Summary,
    SummaryDataPoint,
    ValueAtQuantile,
    is_stale,
)
from upstream_prw.translate.native import NativeHistogram
from upstream_prw.translate.plan import Context, Kind, MetricPlan
from upstream_prw.translate.plans import PlanCache, attributes_key
from upstream_prw.translate.settings import TranslationSettings

__all__ = [
    "NOT_LATER",
    "STALE_NAN",
    "Context",
    "Dropped",
    "ExemplarOut",
    "Kind",
    "Labels",
    "MetricPlan",
    "NativeHistogram",
    "PlanCache",
    "ResourceLabels",
    "Series",
    "Summary",
    "SummaryDataPoint",
    "TranslationSettings",
    "ValueAtQuantile",
    "attributes_key",
    "fold_delta",
    "is_stale",
]
