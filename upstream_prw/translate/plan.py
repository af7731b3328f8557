"""Per-metric decisions made once and reused for every point: kind, names, context labels."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    ExponentialHistogram,
    Gauge,
    Histogram,
    Sum,
)

from upstream_prw.translate.labels import Labels, ResourceLabels, attribute_labels
from upstream_prw.translate.model import Summary
from upstream_prw.translate.naming import (
    cut_utf8,
    format_float,
    label_name,
    metric_name,
    unit_name,
    utf8_metric_name,
    valid_utf8,
)
from upstream_prw.translate.settings import TranslationSettings

__all__ = ["STARTED_KINDS", "Context", "Kind", "MetricPlan", "make_context", "plan_metric"]


class Kind(enum.IntEnum):
    GAUGE = 1
    COUNTER = 2
    HISTOGRAM = 3
    SUMMARY = 4
    NATIVE = 5
    NHCB = 6  # an explicit-bucket histogram as a native histogram with custom buckets


# remote-write MetricMetadata.MetricType per kind
_METADATA_TYPE = {
    Kind.GAUGE: 2,
    Kind.COUNTER: 1,
    Kind.HISTOGRAM: 3,
    Kind.SUMMARY: 5,
    Kind.NATIVE: 3,
    Kind.NHCB: 3,
}


_RESERVED = {Kind.HISTOGRAM: "le", Kind.SUMMARY: "quantile"}

STARTED_KINDS = frozenset({Kind.COUNTER, Kind.HISTOGRAM, Kind.SUMMARY, Kind.NATIVE, Kind.NHCB})
"""The kinds with counter semantics: their samples have a start (Remote Write 2.0's start
timestamp)."""


@dataclass(frozen=True, slots=True, eq=False)
class Context:
    """The labels a resource and scope put on each of their series, split by precedence."""

    low: Labels  # resource attributes (conversion on): point attributes override them
    high: Labels  # job, instance, scope labels: override point attributes
    external: Labels  # only where the series lacks the label
    utf8: bool = False  # label names as written (Remote Write 2.0)

    def labels(self, attributes: Mapping[str, object] | None, reserved: str = "") -> Labels:
        """The sorted label set of one point, without name and `le`/`quantile`."""
        merged = dict(self.low)
        merged.update(attribute_labels(attributes, utf8=self.utf8))
        merged.update(self.high)
        for name, value in self.external:
            merged.setdefault(name, value)
        if reserved:
            merged.pop(reserved, None)
        return tuple(sorted(merged.items()))

    def layout(
        self, keys: tuple[str, ...], reserved: str = ""
    ) -> tuple[tuple[str, str | int], ...] | None:
        """What `labels` returns for attributes with these keys, an index where a value goes.

        Holds only while every value gives a non-empty label; None when the keys need the
        general path (two keys that sanitise to one name, or a key that sanitises to "").
        """
        names = [label_name(key, self.utf8) for key in keys]
        if "" in names or "__name__" in names or len(set(names)) != len(names):
            return None
        merged: dict[str, str | int] = dict(self.low)
        merged.update({name: index for index, name in enumerate(names)})
        merged.update(self.high)
        for name, value in self.external:
            merged.setdefault(name, value)
        if reserved:
            merged.pop(reserved, None)
        return tuple(sorted(merged.items(), key=_by_name))


def _by_name(label: tuple[str, object]) -> str:
    return label[0]


def make_context(resource: ResourceLabels, scope: Labels, settings: TranslationSettings) -> Context:
    high = dict(resource.identity)
    if settings.add_scope_labels:
        high.update(scope)
    return Context(
        low=resource.converted,
        high=tuple(sorted(high.items())),
        external=tuple(
            sorted((valid_utf8(k), valid_utf8(v)) for k, v in settings.external_labels.items())
        ),
        utf8=settings.utf8_names,
    )


@dataclass(frozen=True, slots=True)
class MetricPlan:
    """How one OpenTelemetry metric maps to Prometheus series."""

    kind: Kind
    otel_name: str
    name: str
    delta: bool
    help: str
    unit: str  # as UNIT metadata has it: `seconds`, not `s`
    context: Context
    # An exponential histogram sent as a classic one, in at most this many buckets (0: no)
    classic_buckets: int = 0
    # A second plan for the same points (classic histograms kept beside their NHCB): its
    # points are not counted again, nor its drops reported twice
    companion: bool = False

    @property
    def reserved(self) -> str:
        """The label the series set themselves, which an attribute may not override."""
        return _RESERVED.get(self.kind, "")

    @property
    def metadata_type(self) -> int:
        return _METADATA_TYPE[self.kind]

    @property
    def series_names(self) -> tuple[str, ...]:
        """Every `__name__` the metric's series carry."""
        if self.kind is Kind.HISTOGRAM:
            return (self.name + "_bucket", self.name + "_sum", self.name + "_count")
        if self.kind is Kind.SUMMARY:
            return (self.name, self.name + "_sum", self.name + "_count")
        return (self.name,)

    def bucket_layout(self, bounds: tuple[float, ...]) -> tuple[tuple[str, str | None], ...]:
        """(series name, `le`) for each series of a classic histogram point."""
        bucket = self.name + "_bucket"
        layout: list[tuple[str, str | None]] = [(bucket, format_float(b)) for b in bounds]
        layout += [(bucket, "+Inf"), (self.name + "_sum", None), (self.name + "_count", None)]
        return tuple(layout)

    def quantile_layout(self, quantiles: tuple[float, ...]) -> tuple[tuple[str, str | None], ...]:
        """(series name, `quantile`) for each series of a summary point."""
        layout: list[tuple[str, str | None]] = [(self.name, format_float(q)) for q in quantiles]
        layout += [(self.name + "_sum", None), (self.name + "_count", None)]
        return tuple(layout)


def plan_metric(
    metric: Any, context: Context, settings: TranslationSettings
) -> MetricPlan | tuple[MetricPlan, MetricPlan] | str:
    """The plan for a metric (two for NHCB with the classic histogram kept), or the reason
    it cannot be translated."""
    data = metric.data
    delta = getattr(data, "aggregation_temporality", None) == AggregationTemporality.DELTA
    counter = ratio = False
    classic_buckets = 0
    if isinstance(data, Sum):
        kind = Kind.COUNTER if data.is_monotonic else Kind.GAUGE
        counter = data.is_monotonic
    elif isinstance(data, Gauge):
        kind, ratio = Kind.GAUGE, True
    elif isinstance(data, Histogram):
        kind = Kind.NHCB if settings.nhcb else Kind.HISTOGRAM
    elif isinstance(data, ExponentialHistogram):
        kind = Kind.NATIVE
        if not settings.native_histograms:
            kind, classic_buckets = Kind.HISTOGRAM, settings.classic_bucket_limit
    elif isinstance(data, Summary):
        kind = Kind.SUMMARY
    else:
        return f"unsupported data type {type(data).__name__}"
    namer = utf8_metric_name if settings.utf8_names else metric_name
    name = namer(
        valid_utf8(metric.name or ""),
        metric.unit or "",
        namespace=settings.namespace,
        counter=counter,
        ratio_gauge=ratio,
        add_suffixes=settings.add_metric_suffixes,
    )
    if not name:
        return "the name has no character valid in a Prometheus metric name"
    plan = MetricPlan(
        kind=kind,
        otel_name=valid_utf8(metric.name or ""),
        name=name,
        delta=delta,
        help=cut_utf8(valid_utf8(metric.description or ""), settings.max_help_bytes),
        unit=unit_name(valid_utf8(metric.unit or "")),
        context=context,
        classic_buckets=classic_buckets,
    )
    if kind is Kind.NHCB and settings.keep_classic_histograms:
        return plan, replace(plan, kind=Kind.HISTOGRAM, companion=True)
    return plan
