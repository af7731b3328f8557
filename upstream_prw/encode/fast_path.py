"""The common case, a metric at a time: every point a series of earlier exports, plain
(no exemplars, flags or deltas) and at one timestamp.

That is what the SDK hands over at every collection after the first, so the per-point work
here is kept to what cannot be done in C (`map`, `itemgetter`, comprehensions): finding each
point's group, packing its values, appending its series to its shard. Anything else goes to
the point loop (`point_loop.py`); both produce the same bytes. A metric with a point this
path cannot write (a value no double holds, a timestamp out of range, anything that raises)
goes to the point loop too, from that point on, which drops and reports only that point.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter, itemgetter
from typing import Any

from upstream_prw.encode.batches import Shards
from upstream_prw.encode.entries import bucket_entries, histogram_doubles
from upstream_prw.encode.series import BucketGroup, PlanState
from upstream_prw.encode.wire import pack_double, sample_tail
from upstream_prw.translate.model import MAX_TIMESTAMP_MS
from upstream_prw.translate.plan import Kind

__all__ = ["encode_histograms", "encode_numbers"]


_ATTRIBUTES = attrgetter("attributes")
_EXEMPLARS = attrgetter("exemplars")
_SEEN = attrgetter("seen")
_REFUSED = attrgetter("refused")
_TIME = attrgetter("time_unix_nano")
_VALUE = attrgetter("value")


def _known_groups(state: PlanState, points: Any, gen: int) -> tuple[list[Any], bool, int] | None:
    """The groups of a metric's points, whether they are the last export's in the same
    order, and the points' timestamp in milliseconds, when each point is a series of an
    earlier export, plain (no exemplars, flags or delta folding) and once only, all at one
    timestamp that remote write can carry: the common case, checked a metric at a time with
    the per-point work in C. None when any point needs the point loop; nothing changes."""
    first = points[0]
    if len(state.groups) < len(points) or state.plan.delta or state.gen == gen:
        return None  # new series; or a metric seen twice in one export, which may repeat some
    if hasattr(first, "flags"):
        return None
    if (
        state.plan.kind is not Kind.GAUGE  # a gauge's exemplars are dropped
        and hasattr(first, "exemplars")
        and any(map(_EXEMPLARS, points))
    ):
        return None
    if list(map(_TIME, points)).count(first.time_unix_nano) != len(points):
        return None
    ts: int = first.time_unix_nano // 1_000_000
    if not 0 <= ts <= MAX_TIMESTAMP_MS:
        return None
    try:
        keys = [(*a, *a.values()) for a in map(_ATTRIBUTES, points)]
        groups: list[Any] = list(map(state.groups.get, keys))
    except TypeError:  # unhashable attribute values
        return None
    if None in groups or any(map(_REFUSED, groups)):
        return None
    if groups == state.last_groups:  # the same groups in the same order need no more checks
        return groups, True, ts
    if len(set(groups)) != len(groups):
        return None
    return groups, False, ts


def _take(state: PlanState, known: tuple[list[Any], bool, int], gen: int) -> list[int]:
    """Mark the groups `_known_groups` found seen in this export; return what they were."""
    groups, same, ts = known
    if not same:
        state.last_groups = groups
        state.batches = None
    seen = list(map(_SEEN, groups))
    state.start(gen)
    state.fast_ms = (gen, ts)
    state.marked += len(groups)
    state.kept += seen.count(state.prev)
    for group in groups:
        group.seen = gen
    return seen


def _untake(state: PlanState, groups: list[Any], seen: list[int], start: int) -> int:
    """Undo `_take` for the groups from `start` on (the point loop takes their points)."""
    rest = seen[start:]
    for group, before in zip(groups[start:], rest, strict=True):
        group.seen = before
    state.marked -= len(rest)
    state.kept -= rest.count(state.prev)
    return start


def encode_numbers(
    state: PlanState, points: Any, gen: int, shards: Shards
) -> tuple[int, int] | None:
    """A gauge's or counter's points when `_known_groups` applies: (their timestamp, how
    many were taken, all of them); else None, and the point loop takes them."""
    try:
        known = _known_groups(state, points, gen)
        if known is None:
            return None
        values = list(map(pack_double, map(_VALUE, points)))
    except Exception:  # a value no double holds, or odd points: the point loop reports them
        return None
    _take(state, known, gen)
    groups, ts = known[0], known[2]
    tail, sample_len = sample_tail(ts)
    batches = state.batches
    if batches is None or batches[0] != sample_len:
        batches = state.batches = (sample_len, _number_batches(groups, sample_len))
    value_len = sample_len - 1
    parts, sizes, counts, bounds = shards.parts, shards.sizes, shards.counts, shards.bounds
    for shard, pick, prefixes, labels_len in batches[1]:
        n = len(prefixes)
        size = labels_len + n * value_len
        if sizes[shard] + size > bounds[shard]:  # one at a time, making room as they go
            for prefix, value in zip(prefixes, pick(values), strict=True):
                shards.add(shard, len(prefix) + value_len, 1, (prefix, value, tail))
            continue
        entries = [tail] * (3 * n)
        entries[0::3] = prefixes
        entries[1::3] = pick(values)
        parts[shard] += entries
        sizes[shard] += size
        counts[shard] += n
    return ts, len(points)


def _number_batches(
    groups: list[Any], sample_len: int
) -> list[tuple[int, Any, tuple[bytes, ...], int]]:
    """Per shard: which of the points go there, their prefixes, and the prefixes' length."""
    by_shard: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        by_shard.setdefault(group.shard, []).append(index)
    batches = []
    for shard, indexes in by_shard.items():
        prefixes = tuple(groups[i].prefix_for(sample_len) for i in indexes)
        pick = _picker(indexes)
        batches.append((shard, pick, prefixes, sum(map(len, prefixes))))
    return batches


def _picker(indexes: list[int]) -> Callable[[list[bytes]], tuple[bytes, ...]]:
    """Selects these positions of a list, as a tuple (itemgetter, even for one position)."""
    if len(indexes) == 1:
        (index,) = indexes
        return lambda values: (values[index],)
    return itemgetter(*indexes)


def encode_histograms(
    state: PlanState, points: Any, gen: int, shards: Shards
) -> tuple[int, int] | None:
    """An explicit-bucket histogram's points when `_known_groups` applies: (their timestamp,
    how many were taken); else None. A point that cannot be written ends what is taken:
    the point loop takes it and the rest."""
    try:
        known = _known_groups(state, points, gen)
    except Exception:  # odd points: the point loop takes them one by one
        return None
    if known is None:
        return None
    seen = _take(state, known, gen)
    groups, ts = known[0], known[2]
    tail, sample_len = sample_tail(ts)
    parts, sizes, counts, bounds = shards.parts, shards.sizes, shards.counts, shards.bounds
    last_bounds: Any = None
    group: BucketGroup | None = None
    try:
        layout = state.layout(points[0])
        for point, group in zip(points, groups, strict=True):
            explicit = point.explicit_bounds
            if explicit is not last_bounds:
                last_bounds, layout = explicit, state.layout(point)
            values = histogram_doubles(point, len(explicit), False)
            joined = bucket_entries(group, layout, values, sample_len, tail)
            group.layout = layout
            shard = group.shard
            size = len(joined)
            if sizes[shard] + size > bounds[shard]:
                shards.make_room(shard, size)
            parts[shard].append(joined)
            sizes[shard] += size
            counts[shard] += layout.rows
    except Exception:  # nothing of this point was written; its group is the first untaken
        return ts, _untake(state, groups, seen, 0 if group is None else groups.index(group))
    return ts, len(points)
