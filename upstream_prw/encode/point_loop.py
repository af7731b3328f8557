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

from collections.abc import Callable
from typing import Any

from upstream_prw.encode.batches import Shards
from upstream_prw.encode.entries import exemplar_entries
from upstream_prw.encode.series import Group, PlanState
from upstream_prw.encode.wire import sample_tail
from upstream_prw.encode.writers import WRITERS, Pending, Report, Run
from upstream_prw.translate.delta import fold_delta
from upstream_prw.translate.model import (
    BAD_TIMESTAMP,
    MAX_TIMESTAMP_MS,
    NOT_LATER,
)
from upstream_prw.translate.plan import Kind
from upstream_prw.translate.plans import attributes_key
from upstream_prw.translate.points import point_start_ms

__all__ = ["NewGroup", "encode_points"]

NewGroup = Callable[[PlanState, Any, Any, int], Group]
"""Makes the group of a point not seen before: (state, key, point, sample length)."""


def encode_points(
    state: PlanState,
    points: Any,
    gen: int,
    shards: Shards,
    report: Report,
    new_group: NewGroup,
    with_start: bool = False,
) -> int | None:
    """Encode one metric's points, one at a time; return the latest timestamp among them.
    `with_start`: each sample and histogram carries its point's start timestamp."""
    run = Run(report, state.plan.otel_name, hasattr(points[0], "flags"), with_start)
    state.start(gen)
    write = WRITERS[state.plan.kind]
    write(_pending(state, points, gen, shards, run, new_group), state, shards, run)
    marked = len(points) - run.duplicates - run.unmarked - run.forgotten
    state.marked += marked
    state.kept += marked - (run.fresh - run.forgotten)
    report.points += len(points) - run.skipped
    return run.latest


def _pending(
    state: PlanState, points: Any, gen: int, shards: Shards, run: Run, new_group: NewGroup
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
        point_tail, point_len, start = tail, sample_len, 0
        try:
            if delta:
                group.delta, point = fold_delta(group.delta, point)
            if run.with_start and (start := point_start_ms(point, ts)):
                point_tail, point_len = sample_tail(ts, start)
            if check_exemplars and point.exemplars:
                series = exemplar_entries(state, group, point, ts, start)
                shards.add(group.shard, sum(map(len, series)), len(series), series)
                continue
        except Exception as exc:
            if is_fresh:
                group.seen = 0
                fresh -= 1
                unmarked += 1
            run.fail(exc)
            continue
        yield point, group, ts, point_tail, point_len, is_fresh
    # once the writer has taken every point
    run.fresh, run.duplicates, run.unmarked = fresh, duplicates, unmarked
