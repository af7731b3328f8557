"""One writer per metric kind, for the points the point loop has found a series for: each
appends what its kind becomes (samples, bucket series, native histograms) to the shards, or
drops and reports the point it cannot write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from upstream_prw.encode.batches import Shards
from upstream_prw.encode.entries import (
    NATIVE_BUILDERS,
    STALE,
    bucket_entries,
    histogram_doubles,
)
from upstream_prw.encode.series import BucketLayout, PlanState
from upstream_prw.encode.wire import histogram_bytes, length_prefixed, pack_double
from upstream_prw.translate.model import Dropped, failure_reason
from upstream_prw.translate.plan import Kind
from upstream_prw.translate.points import histogram_values, point_start_ms, summary_values

__all__ = ["WRITERS", "Pending", "Report", "Run"]

Pending = Iterator[tuple[Any, Any, int, bytes, int, bool]]
"""Per point left to write: (point, its group, timestamp ms, encoded timestamp field,
sample length, whether its series was not in the metric's previous export)."""


class Report(Protocol):
    points: int
    dropped: list[Dropped]


class Run:
    """One metric's pass: what the writers need besides the points, and what it counted
    (where rare, so the common path counts nothing)."""

    __slots__ = (
        "duplicates",
        "flags",
        "forgotten",
        "fresh",
        "latest",
        "metric",
        "report",
        "skipped",
        "unmarked",
        "with_start",
    )

    def __init__(self, report: Report, metric: str, flags: bool, with_start: bool) -> None:
        self.report = report
        self.metric = metric
        self.flags = flags  # whether points of this kind have `flags` (the SDK's do not)
        self.with_start = with_start  # samples carry their start timestamp (2.0 only)
        self.duplicates = self.fresh = self.skipped = 0
        self.unmarked = 0  # points dropped before their group was marked
        self.forgotten = 0  # points dropped after, whose group was unmarked again
        self.latest: int | None = None

    def drop(self, reason: str) -> None:
        self.skipped += 1
        self.report.dropped.append(Dropped(self.metric, reason))

    def fail(self, exc: Exception) -> None:
        self.drop(failure_reason(exc))

    def lose(self, exc: Exception, group: Any, fresh: bool) -> None:
        """A point its writer could not write: if its series was not in the metric's last
        export, it is not in this one either (and is never made stale, never having been)."""
        self.fail(exc)
        if fresh:
            group.seen = 0
            self.forgotten += 1


def _write_numbers(pending: Pending, state: PlanState, shards: Shards, run: Run) -> None:
    """Gauges and counters: the cached prefix, the value, the timestamp."""
    parts, sizes, counts, bounds = shards.parts, shards.sizes, shards.counts, shards.bounds
    flags = run.flags
    for point, group, _, tail, sample_len, fresh in pending:
        try:
            value = STALE if flags and point.flags & 1 else pack_double(point.value)
        except Exception as exc:
            run.lose(_real(exc, float, point.value), group, fresh)
            continue
        prefix = group.prefix
        if prefix[-2] != sample_len:
            prefix = group.prefix_for(sample_len)
        shard = group.shard
        size = len(prefix) + sample_len - 1  # the double and the timestamp follow
        if sizes[shard] + size > bounds[shard]:
            shards.make_room(shard, size)
        parts[shard] += (prefix, value, tail)
        sizes[shard] += size
        counts[shard] += 1


def _write_native(pending: Pending, state: PlanState, shards: Shards, run: Run) -> None:
    """Exponential histograms, and explicit-bucket ones as NHCB: one native histogram
    each, or the reason it has none."""
    build = NATIVE_BUILDERS[state.plan.kind]
    with_start = run.with_start
    for point, group, ts, _, _, fresh in pending:
        try:
            start = point_start_ms(point, ts) if with_start else 0
            histogram = histogram_bytes(build(point, ts), start)
        except Exception as exc:
            run.lose(exc, group, fresh)
            continue
        entry = length_prefixed(b"\x0a", group.labels + histogram)
        shards.add(group.shard, len(entry), 1, (entry,))


def _write_histograms(pending: Pending, state: PlanState, shards: Shards, run: Run) -> None:
    """Explicit-bucket histograms: `le` buckets, `_sum` and `_count`."""
    last_bounds: Any = None
    layout: BucketLayout | None = None
    for point, group, _, tail, sample_len, fresh in pending:
        try:
            explicit = point.explicit_bounds
            if explicit is not last_bounds or layout is None:
                layout = state.layout(point)
                last_bounds = explicit
            values = histogram_doubles(point, len(explicit), run.flags)
            joined = bucket_entries(group, layout, values, sample_len, tail)
        except Exception as exc:
            run.lose(_real(exc, histogram_values, point), group, fresh)
            continue
        group.layout = layout
        shards.add(group.shard, len(joined), layout.rows, (joined,))


def _write_summaries(pending: Pending, state: PlanState, shards: Shards, run: Run) -> None:
    """Summaries: one series per quantile, `_sum` and `_count`."""
    for point, group, _, tail, sample_len, fresh in pending:
        try:
            layout = state.layout(point)
            values = list(map(pack_double, summary_values(point)))
            joined = bucket_entries(group, layout, values, sample_len, tail)
        except Exception as exc:
            run.lose(exc, group, fresh)
            continue
        group.layout = layout
        shards.add(group.shard, len(joined), layout.rows, (joined,))


def _real(exc: Exception, convert: Callable[[Any], object], value: Any) -> Exception:
    """What made packing fail: `pack_double` calls any value it cannot pack "not a float",
    and the plain conversion tells one too large for a double (OverflowError) from one that
    is no number at all."""
    try:
        convert(value)
    except Exception as real:
        return real
    return exc


WRITERS: dict[Kind, Callable[[Pending, PlanState, Shards, Run], None]] = {
    Kind.GAUGE: _write_numbers,
    Kind.COUNTER: _write_numbers,
    Kind.NATIVE: _write_native,
    Kind.NHCB: _write_native,
    Kind.HISTOGRAM: _write_histograms,
    Kind.SUMMARY: _write_summaries,
}
