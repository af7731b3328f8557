"""Stale markers: which series end, and at what time.

A series is marked stale at shutdown (`stale_live`), or when its own metric (the same
resource, scope and name: a `PlanState.family`) is exported again without it
(`stale_lost`). A metric absent from an export marks nothing: exports that carry only some
metrics (`push_metrics` beside a periodic reader, two threads exporting different metrics)
leave the other metrics' series alone; those go only when idle long enough to be evicted.
A marker's time is later than every sample sent before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from upstream_prw.encode.batches import Shards
from upstream_prw.encode.entries import stale_entries
from upstream_prw.encode.series import Group, PlanState
from upstream_prw.translate.labels import ResourceLabels
from upstream_prw.translate.model import MAX_TIMESTAMP_MS
from upstream_prw.translate.plan import Context

__all__ = ["ExportMarks", "stale_group", "stale_live", "stale_lost", "stale_time"]


@dataclass(slots=True)
class ExportMarks:
    """What one export carried: the families of its metrics, the metrics that raised half-way
    (they mark nothing stale), each resource's latest time, the latest time of all."""

    families: set[tuple[Context, str]] = field(default_factory=set)
    failed: set[PlanState] = field(default_factory=set)
    resource_ts: dict[ResourceLabels, int] = field(default_factory=dict)
    latest: int | None = None
    stale_markers: int = 0


def stale_time(latest: int, last_ms: int) -> int:
    """The time of stale markers: after `last_ms`, the latest sample sent so far (so after
    the last sample of every series they end), and not before `latest`."""
    return min(max(latest, last_ms + 1), MAX_TIMESTAMP_MS)


def stale_lost(
    states: Iterable[PlanState], marks: ExportMarks, gen: int, ts: int, shards: Shards
) -> None:
    """A stale NaN at `ts` for each series whose metric's family was exported in `gen`
    without it, though the metric's previous export had it."""
    families = marks.families
    for state in states:
        if state.gen != gen:
            if not state.marked or state.family not in families:
                continue  # its family was not exported: nothing of it goes stale
            state.start(gen)  # exported as another plan (a new unit, say): none of these
        elif marks.failed and state in marks.failed:
            continue
        if state.lost_series(gen):  # else every series it had is still there
            prev = state.prev
            for group in state.groups.values():
                if group.seen == prev and not group.refused:
                    marks.stale_markers += stale_group(group, ts, shards)


def stale_live(states: Iterable[PlanState], info: Iterable[Group], ts: int, shards: Shards) -> int:
    """A stale NaN at `ts` for every live series: those of each metric's last export, and
    every `target_info`. Returns how many."""
    count = 0
    for state in states:
        last = state.gen
        for group in state.groups.values():
            if group.seen == last and not group.refused:
                count += stale_group(group, ts, shards)
    for group in info:
        count += stale_group(group, ts, shards)
    return count


def stale_group(group: Group, ts: int, shards: Shards) -> int:
    """Stale markers for a group's series; returns how many."""
    entries, series = stale_entries(group, ts)
    shards.add(group.shard, len(entries), series, (entries,))
    return series
