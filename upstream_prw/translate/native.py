"""Exponential histograms as Prometheus native histograms (pure).

OpenTelemetry bucket `i` at scale `s` covers (base**i, base**(i+1)]; Prometheus bucket `j`
covers (base**(j-1), base**j], so j = i + 1. Prometheus accepts schemas -4..8: finer scales
are merged down to 8; coarser ones cannot be represented and are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from upstream_prw.errors import UntranslatableError

__all__ = [
    "CUSTOM_BUCKETS_SCHEMA",
    "MAX_SCHEMA",
    "MIN_SCHEMA",
    "NativeHistogram",
    "downscale",
    "spans_and_deltas",
    "to_native",
    "to_nhcb",
]

MIN_SCHEMA = -4
MAX_SCHEMA = 8
CUSTOM_BUCKETS_SCHEMA = -53
"""Native histograms with custom buckets (NHCB): explicit bounds in `custom_values`."""
# Zero runs longer than this start a new span instead of being sent as explicit zeros.
_MAX_ZERO_RUN = 2

RESET_HINT_UNKNOWN = 0  # cumulative OpenTelemetry histograms reset only on restart
_UINT64 = 1 << 64  # counts are uint64 on the wire, bucket deltas sint64
_INT64 = 1 << 63


@dataclass(frozen=True, slots=True)
class NativeHistogram:
    """The fields of a remote-write `Histogram` with integer counts."""

    count: int
    sum: float
    schema: int
    zero_threshold: float
    zero_count: int
    positive_spans: tuple[tuple[int, int], ...]
    positive_deltas: tuple[int, ...]
    negative_spans: tuple[tuple[int, int], ...]
    negative_deltas: tuple[int, ...]
    reset_hint: int
    timestamp_ms: int
    custom_values: tuple[float, ...] = ()  # NHCB (schema -53): the bucket bounds


def downscale(offset: int, counts: Sequence[int], by: int) -> tuple[int, list[int]]:
    """Merge buckets `by` scale steps coarser: OTel index i lands in i >> by."""
    if by <= 0 or not counts:
        return offset, list(counts)
    first = offset >> by
    merged = [0] * (((offset + len(counts) - 1) >> by) - first + 1)
    for i, c in enumerate(counts):
        merged[((offset + i) >> by) - first] += c
    return first, merged


def spans_and_deltas(
    offset: int, counts: Sequence[int]
) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
    """Spans (gap, length) over Prometheus indexes, and delta-encoded non-skipped counts.

    `offset` is the OpenTelemetry index of counts[0]. Leading and trailing zero buckets are
    dropped; inner zero runs longer than two start a new span.
    """
    spans: list[tuple[int, int]] = []
    deltas: list[int] = []
    previous_count = 0
    next_index: int | None = None  # Prometheus index just after the current span
    span_start = span_len = 0
    i, n = 0, len(counts)
    while i < n:
        if counts[i] == 0:
            i += 1
            continue
        index = offset + i + 1
        if next_index is not None and index - next_index <= _MAX_ZERO_RUN:
            for _ in range(index - next_index):  # short zero run: keep it inside the span
                deltas.append(-previous_count)
                previous_count = 0
                span_len += 1
        else:
            if next_index is not None:
                spans.append((span_start, span_len))
            span_start = index if next_index is None else index - next_index
            span_len = 0
        deltas.append(counts[i] - previous_count)
        previous_count = counts[i]
        span_len += 1
        next_index = index + 1
        i += 1
    if next_index is not None:
        spans.append((span_start, span_len))
    return tuple(spans), tuple(deltas)


def to_native(
    *,
    scale: int,
    count: int,
    sum_: float,
    zero_count: int,
    zero_threshold: float,
    positive: tuple[int, Sequence[int]],
    negative: tuple[int, Sequence[int]],
    timestamp_ms: int,
) -> NativeHistogram:
    """Build the native histogram for one exponential-histogram point."""
    if scale < MIN_SCHEMA:
        raise UntranslatableError(
            f"exponential histogram scale {scale} is below {MIN_SCHEMA}, "
            "the coarsest schema Prometheus accepts"
        )
    by = max(0, scale - MAX_SCHEMA)
    pos_offset, pos_counts = downscale(positive[0], positive[1], by)
    neg_offset, neg_counts = downscale(negative[0], negative[1], by)
    pos_spans, pos_deltas = spans_and_deltas(pos_offset, pos_counts)
    neg_spans, neg_deltas = spans_and_deltas(neg_offset, neg_counts)
    if not (0 <= count < _UINT64 and 0 <= zero_count < _UINT64) or not all(
        -_INT64 <= d < _INT64 for d in (*pos_deltas, *neg_deltas)
    ):
        raise UntranslatableError(
            "a count is negative or beyond the 64-bit range remote write carries"
        )
    return NativeHistogram(
        count=count,
        sum=sum_,
        schema=scale - by,
        zero_threshold=zero_threshold,
        zero_count=zero_count,
        positive_spans=pos_spans,
        positive_deltas=pos_deltas,
        negative_spans=neg_spans,
        negative_deltas=neg_deltas,
        reset_hint=RESET_HINT_UNKNOWN,
        timestamp_ms=timestamp_ms,
    )


def to_nhcb(
    *,
    bounds: Sequence[float],
    counts: Sequence[int],
    count: int,
    sum_: float,
    timestamp_ms: int,
) -> NativeHistogram:
    """An explicit-bucket histogram point as a native histogram with custom buckets.

    Bucket `i` (upper bound `bounds[i]`, or +Inf for the last) is custom-value index `i`;
    the counts stay per bucket. Spec: Histograms as Prometheus NHCB.
    """
    # spans_and_deltas numbers bucket i as offset + i + 1: offset -1 makes it i
    spans, deltas = spans_and_deltas(-1, counts)
    if not 0 <= count < _UINT64 or not all(-_INT64 <= d < _INT64 for d in deltas):
        raise UntranslatableError(
            "a count is negative or beyond the 64-bit range remote write carries"
        )
    return NativeHistogram(
        count=count,
        sum=sum_,
        schema=CUSTOM_BUCKETS_SCHEMA,
        zero_threshold=0.0,
        zero_count=0,
        positive_spans=spans,
        positive_deltas=deltas,
        negative_spans=(),
        negative_deltas=(),
        reset_hint=RESET_HINT_UNKNOWN,
        timestamp_ms=timestamp_ms,
        custom_values=tuple(map(float, bounds)),
    )
