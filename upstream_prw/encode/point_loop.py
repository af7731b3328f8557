"""The loop for the points the fast path does not take: new series, exemplars, flags, delta
temporality, summaries, native histograms, several timestamps in one metric, repeated points.

`_pending` does what every kind shares (find or make the point's cached series, keep the
seen-counts that staleness needs, drop repeats and shadowed series, fold deltas, write
points with exemplars); one writer per metric kind then appends the rest to their shards.
A point that cannot be written (a timestamp or value remote write cannot carry, or anything
that raises) is dropped and reported alone; an entry reaches a shard whole or not at all.
Its series still counts as present if the metric's previous export had it, so one bad point
does not end a series; a series no export has carried yet is not started by it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from upstream_prw.encode.batches import Shards
from upstream_prw.encode.entries import (
    NATIVE_BUILDERS,
    STALE,
    bucket_entries,
    exemplar_entries,
    histogram_doubles,
)
from upstream_prw.encode.series import BucketLayout, Group, PlanState
from upstream_prw.encode.wire import (
    histogram_bytes,
    length_prefixed,
    pack_double,
    sample_tail,
)
from upstream_prw.translate.delta import fold_delta
from upstream_prw.translate.model import (
    BAD_TIMESTAMP,
    MAX_TIMESTAMP_MS,
    NOT_LATER,
    Dropped,
    failure_reason,
)
from upstream_prw.translate.plan import Kind
from upstream_prw.translate.plans import attributes_key
from upstream_prw.translate.points import histogram_values, summary_values

__all__ = ["NewGroup", "encode_points"]

NewGroup = Callable[[PlanState, Any, Any, int], Group]
"""Makes the group of a point not seen before: (state, key, point, sample length)."""

Pending = Iterator[tuple[Any, Any, int, bytes, int, bool]]
"""Per point left to write: (point, its group, timestamp ms, encoded timestamp field,
sample length, whether its series was not in the metric's previous export)."""


class _Report(Protocol):
    points: int
    dropped: list[Dropped]


class _Run:
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
    )

    def __init__(self, report: _Report, metric: str, flags: bool) -> None:
        self.report = report
        self.metric = metric
        self.flags = flags  # whether points of this kind have `flags` (the SDK's do not)
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
    marked = len(points) - run.duplicates - run.unmarked - run.forgotten
    state.marked += marked
    state.kept += marked - (run.fresh - run.forgotten)
    report.points += len(points) - run.skipped
    return run.latest


def _pending(
    state: PlanState, points: Any, gen: int, shards: Shards, run: _Run, new_group: NewGroup
) -> Pending:
    """The points to write, each with its group; marks each group seen in `gen`.

    A point dropped for its timestamp or a failure still marks its series present if the
    metric's previous export had it (it does not go stale); else it marks nothing, and no
    series is made for it."""
    groups = state.groups
    delta = state.plan.delta
    # Exemplars go on counters and histograms only: a gauge's are dropped (spec: Gauges, Sums)
    check_exemplars = state.plan.kind is not Kind.GAUGE and hasattr(points[0], "exemplars")
    previous = state.prev
    last_time = -1
    ts = sample_len = 0
    tail = b""
    bad_time = False
    latest: int | None = None
    fresh = duplicates = unmarked = 0
    for point in points:
        try:
            time = point.time_unix_nano
            if time != last_time:
                ts = time // 1_000_000
                bad_time = not 0 <= ts <= MAX_TIMESTAMP_MS
                if bad_time:
                    tail, sample_len = b"", 11  # any length will do: nothing is written
                else:
                    if latest is None or ts > latest:
                        latest = run.latest = ts
                    tail, sample_len = sample_tail(ts)
                last_time = time
            attributes = point.attributes
            try:
                key: Any = (*attributes, *attributes.values())
                group = groups.get(key)
            except TypeError:  # unhashable attribute values (sequences), or no attributes
                key = attributes_key(attributes)
                group = groups.get(key)
            if group is not None:
                seen = group.seen
            elif bad_time:  # no series is made for a point that cannot be sent
                unmarked += 1
                run.drop(BAD_TIMESTAMP)
                continue
            else:
                group = new_group(state, key, point, sample_len)
                seen = -1
        except Exception as exc:
            unmarked += 1
            run.fail(exc)
            continue
        is_fresh = seen != previous  # new, or back after missing an export of its metric
        if seen == gen:  # another point of a series already sent in this export
            is_fresh = False
            duplicates += 1
            if not bad_time and ts <= state.sent_ms(group):
                run.drop(NOT_LATER)
                continue
        if bad_time:
            if is_fresh:  # not there in the last export: not there now either
                unmarked += 1
            elif seen != gen:  # there, but this point of it cannot be sent
                group.seen, group.last_gen, group.last_ms = gen, gen, -1
            run.drop(BAD_TIMESTAMP)
            continue
        if is_fresh:
            fresh += 1
        group.seen = gen
        group.last_gen, group.last_ms = gen, ts
        if group.refused:
            run.drop(group.refused)
            continue
        try:
            if delta:
                group.delta, point = fold_delta(group.delta, point)
            if check_exemplars and point.exemplars:
                series = exemplar_entries(state, group, point, ts)
                shards.add(group.shard, sum(map(len, series)), len(series), series)
                continue
        except Exception as exc:
            if is_fresh:
                group.seen = 0
                fresh -= 1
                unmarked += 1
            run.fail(exc)
            continue
        yield point, group, ts, tail, sample_len, is_fresh
    # once the writer has taken every point
    run.fresh, run.duplicates, run.unmarked = fresh, duplicates, unmarked


def _write_numbers(pending: Pending, state: PlanState, shards: Shards, run: _Run) -> None:
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


def _write_native(pending: Pending, state: PlanState, shards: Shards, run: _Run) -> None:
    """Exponential histograms, and explicit-bucket ones as NHCB: one native histogram
    each, or the reason it has none."""
    build = NATIVE_BUILDERS[state.plan.kind]
    for point, group, ts, _, _, fresh in pending:
        try:
            histogram = histogram_bytes(build(point, ts))
        except Exception as exc:
            run.lose(exc, group, fresh)
            continue
        entry = length_prefixed(b"\x0a", group.labels + histogram)
        shards.add(group.shard, len(entry), 1, (entry,))


def _write_histograms(pending: Pending, state: PlanState, shards: Shards, run: _Run) -> None:
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


def _write_summaries(pending: Pending, state: PlanState, shards: Shards, run: _Run) -> None:
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


_WRITERS: dict[Kind, Callable[[Pending, PlanState, Shards, _Run], None]] = {
    Kind.GAUGE: _write_numbers,
    Kind.COUNTER: _write_numbers,
    Kind.NATIVE: _write_native,
    Kind.NHCB: _write_native,
    Kind.HISTOGRAM: _write_histograms,
    Kind.SUMMARY: _write_summaries,
}
