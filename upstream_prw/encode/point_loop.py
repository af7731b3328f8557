"""The loop for the points the fast path does not take: new series, exemplars, flags, delta
temporality, summaries, native histograms, several timestamps in one metric, repeated points.

`_pending` does what every kind shares (find or make the point's cached series, keep the
seen-counts that staleness needs, drop repeats and shadowed series, fold deltas, write
points with exemplars); one writer per metric kind then appends the rest to their shards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from upstream_prw.encode.batches import Shards
from upstream_prw.encode.entries import STALE, bucket_entries, exemplar_entries, histogram_doubles
from upstream_prw.encode.series import BucketLayout, Group, PlanState
from upstream_prw.encode.wire import (
    histogram_bytes,
    length_prefixed,
    pack_double,
    sample_tail,
)
from upstream_prw.errors import UntranslatableError
from upstream_prw.translate.delta import fold_delta
from upstream_prw.translate.model import NOT_LATER, Dropped
from upstream_prw.translate.plan import Kind
from upstream_prw.translate.plans import attributes_key
from upstream_prw.translate.points import native_histogram, summary_values

__all__ = ["NewGroup", "encode_points"]

NewGroup = Callable[[PlanState, Any, Any, int], Group]
"""Makes the group of a point not seen before: (state, key, point, sample length)."""

Pending = Iterator[tuple[Any, Any, int, bytes, int]]
"""Per point left to write: (point, its group, timestamp ms, encoded timestamp field,
sample length)."""


class _Report(Protocol):
    points: int
    dropped: list[Dropped]


class _Run:
    """One metric's pass: what the writers need besides the points, and what it counted
    (where rare, so the common path counts nothing)."""

    __slots__ = ("duplicates", "flags", "fresh", "latest", "metric", "report", "skipped")

    def __init__(self, report: _Report, metric: str, flags: bool) -> None:
        self.report = report
        self.metric = metric
        self.flags = flags  # whether points of this kind have `flags` (the SDK's do not)
        self.duplicates = self.fresh = self.skipped = 0
        self.latest: int | None = None

    def drop(self, reason: str) -> None:
        self.skipped += 1
        self.report.dropped.append(Dropped(self.metric, reason))


def encode_points(
    state: PlanState,
    points: Any,
    gen: int,
    shards: Shards,
    report: _Report,
    new_group: NewGroup,
) -> int | None:
    """Encode one metric's points, one at a time; return the latest timestamp among them."""
    run = _Run(report, state.plan.otel_name, hasattr(points[0], "flags"))
    state.start(gen)
    write = _WRITERS[state.plan.kind]
    write(_pending(state, points, gen, shards, run, new_group), state, shards, run)
    marked = len(points) - run.duplicates
    state.marked += marked
    state.kept += marked - run.fresh
    report.points += len(points) - run.skipped
    return run.latest


def _pending(
    state: PlanState, points: Any, gen: int, shards: Shards, run: _Run, new_group: NewGroup
) -> Pending:
    """The points to write, each with its group; marks each group seen in `gen`."""
    groups = state.groups
    delta = state.plan.delta
    check_exemplars = hasattr(points[0], "exemplars")
    previous = gen - 1
    last_time = -1
    ts = sample_len = 0
    tail = b""
    latest: int | None = None
    fresh = duplicates = 0
    for point in points:
        time = point.time_unix_nano
        if time != last_time:
            last_time = time
            ts = time // 1_000_000
            if latest is None or ts > latest:
                latest = run.latest = ts
            tail, sample_len = sample_tail(ts)
        attributes = point.attributes
        try:
            key: Any = (*attributes, *attributes.values())
            group = groups.get(key)
        except TypeError:  # unhashable attribute values (sequences), or no attributes
            key = attributes_key(attributes)
            group = groups.get(key)
        if group is None:
            group = new_group(state, key, point, sample_len)
            fresh += 1
        elif group.seen != previous:
            if group.seen == gen:  # another point of a series already sent in this export
                duplicates += 1
                if ts <= state.sent_ms(group):
                    run.drop(NOT_LATER)
                    continue
            else:
                fresh += 1  # back after missing an export
        group.seen = gen
        group.last_gen, group.last_ms = gen, ts
        if group.shadowed_by:
            run.drop(f"its series are already produced by {group.shadowed_by}")
            continue
        if delta:
            group.delta, point = fold_delta(group.delta, point)
        if check_exemplars and point.exemplars:
            series = exemplar_entries(state, group, point, ts)
            shards.add(group.shard, sum(map(len, series)), len(series), series)
            continue
        yield point, group, ts, tail, sample_len
    run.fresh, run.duplicates = fresh, duplicates  # once the writer has taken every point


def _write_numbers(pending: Pending, state: PlanState, shards: Shards, run: _Run) -> None:
    """Gauges and counters: the cached prefix, the value, the timestamp."""
    parts, sizes, counts, bounds = shards.parts, shards.sizes, shards.counts, shards.bounds
    flags = run.flags
    for point, group, _, tail, sample_len in pending:
        prefix = group.prefix
        if prefix[-2] != sample_len:
            prefix = group.prefix_for(sample_len)
        shard = group.shard
        size = len(prefix) + sample_len - 1  # the double and the timestamp follow
        if sizes[shard] + size > bounds[shard]:
            shards.make_room(shard, size)
        value = STALE if flags and point.flags & 1 else pack_double(point.value)
        parts[shard] += (prefix, value, tail)
        sizes[shard] += size
        counts[shard] += 1


def _write_native(pending: Pending, state: PlanState, shards: Shards, run: _Run) -> None:
    """Exponential histograms: one native histogram each, or the reason it has none."""
    for point, group, ts, _, _ in pending:
        try:
            histogram = histogram_bytes(native_histogram(point, ts))
        except UntranslatableError as exc:
            run.drop(str(exc))
            continue
        entry = length_prefixed(b"\x0a", group.labels + histogram)
        shards.add(group.shard, len(entry), 1, (entry,))


def _write_histograms(pending: Pending, state: PlanState, shards: Shards, run: _Run) -> None:
    """Explicit-bucket histograms: `le` buckets, `_sum` and `_count`."""
    last_bounds: Any = None
    layout: BucketLayout | None = None
    for point, group, _, tail, sample_len in pending:
        explicit = point.explicit_bounds
        if explicit is not last_bounds or layout is None:
            last_bounds, layout = explicit, state.layout(point)
        group.layout = layout
        joined = bucket_entries(
            group, layout, histogram_doubles(point, len(explicit), run.flags), sample_len, tail
        )
        shards.add(group.shard, len(joined), layout.rows, (joined,))


def _write_summaries(pending: Pending, state: PlanState, shards: Shards, run: _Run) -> None:
    """Summaries: one series per quantile, `_sum` and `_count`."""
    for point, group, _, tail, sample_len in pending:
        layout = group.layout = state.layout(point)
        values = list(map(pack_double, summary_values(point)))
        joined = bucket_entries(group, layout, values, sample_len, tail)
        shards.add(group.shard, len(joined), layout.rows, (joined,))


_WRITERS: dict[Kind, Callable[[Pending, PlanState, Shards, _Run], None]] = {
    Kind.GAUGE: _write_numbers,
    Kind.COUNTER: _write_numbers,
    Kind.NATIVE: _write_native,
    Kind.HISTOGRAM: _write_histograms,
    Kind.SUMMARY: _write_summaries,
}
