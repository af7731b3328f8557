"""Whole TimeSeries entries: a histogram or summary point from its layout's template (for
every path), points with exemplars, stale markers."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from upstream_prw.encode.series import BucketGroup, BucketLayout, Group, PlanState, SeriesGroup
from upstream_prw.encode.wire import pack_double, sample_tail, timeseries_bytes
from upstream_prw.translate.model import STALE_NAN
from upstream_prw.translate.plan import Kind
from upstream_prw.translate.points import (
    bucket_index,
    exemplar_out,
    histogram_values,
    native_histogram,
    nhcb_histogram,
    summary_values,
)

__all__ = [
    "NATIVE_BUILDERS",
    "STALE",
    "bucket_entries",
    "exemplar_entries",
    "histogram_doubles",
    "stale_entries",
]

STALE = pack_double(STALE_NAN)
"""The stale marker as a sample value is written."""
_NO_LAYOUT = BucketLayout((), ())
NATIVE_BUILDERS = {Kind.NATIVE: native_histogram, Kind.NHCB: nhcb_histogram}
"""How each kind sent as native histograms makes one from a point and its time."""


def histogram_doubles(point: Any, bounds: int, flags: bool) -> list[bytes]:
    """`histogram_values(point)`, packed: cumulative buckets, `+Inf`, `_sum`, `_count`.

    `flags`: whether points of this kind have `flags` (the SDK's do not; asking costs).
    """
    counts = point.bucket_counts
    if len(counts) < bounds or (flags and point.flags & 1):
        return list(map(pack_double, histogram_values(point)))
    count = pack_double(point.count)
    return [*map(pack_double, accumulate(counts[:bounds])), count, pack_double(point.sum), count]


def bucket_entries(
    group: BucketGroup, layout: BucketLayout, values: Iterable[bytes], sample_len: int, tail: bytes
) -> bytes:
    """The bucket (or quantile), `_sum` and `_count` series of one point, joined once:
    the layout's template filled with the group's labels, the values and the timestamp."""
    after = group.after
    if after[-2] != sample_len:
        after = group.after_for(sample_len)
    before, between = group.before, group.between
    labels_len = len(before) + len(between) + len(after) - 3
    parts = layout.template(before, labels_len, sample_len)[:]
    n = layout.rows
    parts[1::6] = [between] * n
    parts[3::6] = [after] * n
    parts[4::6] = values
    parts[5::6] = [tail] * n
    return b"".join(parts)


def exemplar_entries(
    state: PlanState, group: Any, point: Any, ts: int, start_ms: int = 0
) -> list[bytes]:
    """The general form for points carrying exemplars (rare: sampled traces only)."""
    plan = state.plan
    exemplars = [exemplar_out(e, plan.context.utf8) for e in point.exemplars]
    if plan.kind in (Kind.HISTOGRAM, Kind.SUMMARY):
        layout = group.layout = state.layout(point)
        values = histogram_values(point) if plan.kind is Kind.HISTOGRAM else summary_values(point)
        bodies = [group.body(n, x) for n, x in zip(layout.names, layout.extras, strict=True)]
        attached: dict[int, list[Any]] = {}
        if plan.kind is Kind.HISTOGRAM:
            for exemplar in exemplars:
                index = bucket_index(point.explicit_bounds, exemplar.value)
                attached.setdefault(index, []).append(exemplar)
        return [
            timeseries_bytes(body, [(value, ts)], exemplars=attached.get(i, ()), start_ms=start_ms)
            for i, (body, value) in enumerate(zip(bodies, values, strict=True))
        ]
    if plan.kind is Kind.NATIVE or plan.kind is Kind.NHCB:
        histogram = NATIVE_BUILDERS[plan.kind](point, ts)
        return [
            timeseries_bytes(
                group.labels, histograms=[histogram], exemplars=exemplars, start_ms=start_ms
            )
        ]
    value = STALE_NAN if getattr(point, "flags", 0) & 1 else float(point.value)
    return [timeseries_bytes(group.labels, [(value, ts)], exemplars=exemplars, start_ms=start_ms)]


def stale_entries(group: Group, ts: int) -> tuple[bytes, int]:
    """A stale NaN at `ts` for each series of the group: the entries, and how many.

    A native histogram's series goes stale through a float sample carrying the stale NaN.
    """
    tail, sample_len = sample_tail(ts)
    if isinstance(group, SeriesGroup):
        return b"".join((group.prefix_for(sample_len), STALE, tail)), 1
    assert isinstance(group, BucketGroup)
    layout = group.layout or _NO_LAYOUT
    values = [STALE] * layout.rows
    return bucket_entries(group, layout, values, sample_len, tail), layout.rows
