"""Values of one data point as the Prometheus series of its metric see them (pure)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from upstream_prw.errors import UntranslatableError
from upstream_prw.translate.labels import Labels, attribute_labels
from upstream_prw.translate.model import MAX_TIMESTAMP_MS, STALE_NAN, ExemplarOut
from upstream_prw.translate.native import NativeHistogram, to_native, to_nhcb

__all__ = [
    "DEFAULT_ZERO_THRESHOLD",
    "EXEMPLAR_RUNE_LIMIT",
    "bucket_index",
    "exemplar_out",
    "histogram_values",
    "native_histogram",
    "nhcb_histogram",
    "no_recorded_value",
    "point_start_ms",
    "summary_values",
]

EXEMPLAR_RUNE_LIMIT = 128  # Prometheus rejects exemplars whose labels add up to more runes
_NO_RECORDED_VALUE = 1
DEFAULT_ZERO_THRESHOLD = 1e-128
"""A native histogram's zero threshold when the point has none (the Python SDK's never
has; OTLP's 0 means unset). Spec: Exponential Histograms."""


def no_recorded_value(point: Any) -> bool:
    """OTLP's "no recorded value" flag: the series must be marked stale."""
    return bool(getattr(point, "flags", 0) & _NO_RECORDED_VALUE)


def histogram_values(point: Any) -> list[float]:
    """Cumulative buckets for each bound, `+Inf` (= count), then `_sum` and `_count`."""
    bounds = point.explicit_bounds
    count = point.count
    if no_recorded_value(point):
        return [STALE_NAN] * (len(bounds) + 3)
    cumulative = list(accumulate(point.bucket_counts[: len(bounds)]))
    cumulative += [0] * (len(bounds) - len(cumulative))
    return [*map(float, cumulative), float(count), float(point.sum), float(count)]


def summary_values(point: Any) -> list[float]:
    """One value per quantile, then `_sum` and `_count`."""
    if no_recorded_value(point):
        return [STALE_NAN] * (len(point.quantile_values) + 2)
    values = [float(q.value) for q in point.quantile_values]
    return [*values, float(point.sum), float(point.count)]


def native_histogram(point: Any, timestamp_ms: int) -> NativeHistogram:
    """The native histogram of an exponential-histogram point (raises UntranslatableError)."""
    stale = no_recorded_value(point)
    return to_native(
        scale=point.scale,
        count=0 if stale else point.count,
        sum_=STALE_NAN if stale else float(point.sum),
        zero_count=0 if stale else point.zero_count,
        zero_threshold=float(getattr(point, "zero_threshold", 0.0) or DEFAULT_ZERO_THRESHOLD),
        positive=(point.positive.offset, () if stale else point.positive.bucket_counts),
        negative=(point.negative.offset, () if stale else point.negative.bucket_counts),
        timestamp_ms=timestamp_ms,
    )


def nhcb_histogram(point: Any, timestamp_ms: int) -> NativeHistogram:
    """The native histogram with custom buckets of an explicit-bucket histogram point."""
    stale = no_recorded_value(point)
    bounds = point.explicit_bounds
    counts = list(point.bucket_counts[: len(bounds) + 1])
    counts += [0] * (len(bounds) + 1 - len(counts))
    return to_nhcb(
        bounds=bounds,
        counts=() if stale else counts,
        count=0 if stale else point.count,
        sum_=STALE_NAN if stale else float(point.sum),
        timestamp_ms=timestamp_ms,
    )


def point_start_ms(point: Any, timestamp_ms: int) -> int:
    """A point's start in milliseconds for Remote Write 2.0's start timestamp: 0 (unset)
    when it has none, or one after its own timestamp, which no receiver would take."""
    start = getattr(point, "start_time_unix_nano", 0) // 1_000_000
    return start if 0 < start <= timestamp_ms else 0


def bucket_index(bounds: Sequence[float], value: float) -> int:
    """The classic-histogram bucket (`le` series) an exemplar value belongs to."""
    return bisect_left(bounds, value)


def exemplar_out(exemplar: Any, utf8: bool = False) -> ExemplarOut:
    """`trace_id`/`span_id` first, then filtered attributes while within the rune limit.

    Raises UntranslatableError (or OverflowError, for its value) when remote write cannot
    carry it; its point is dropped with it."""
    timestamp_ms = exemplar.time_unix_nano // 1_000_000
    if not 0 <= timestamp_ms <= MAX_TIMESTAMP_MS:
        raise UntranslatableError(
            "an exemplar's timestamp is negative or beyond the int64 range of milliseconds"
        )
    number = float(exemplar.value)
    labels: dict[str, str] = {}
    trace_id, span_id = exemplar.trace_id, exemplar.span_id
    if trace_id:
        labels["trace_id"] = f"{trace_id:032x}"
    if span_id:
        labels["span_id"] = f"{span_id:016x}"
    used = sum(len(k) + len(v) for k, v in labels.items())
    for name, value in attribute_labels(exemplar.filtered_attributes, utf8=utf8).items():
        if name in labels or used + len(name) + len(value) > EXEMPLAR_RUNE_LIMIT:
            continue
        labels[name] = value
        used += len(name) + len(value)
    sorted_labels: Labels = tuple(sorted(labels.items()))
    return ExemplarOut(labels=sorted_labels, value=number, timestamp_ms=timestamp_ms)
