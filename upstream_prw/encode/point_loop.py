"""The general per-point loop, for the points the fast paths do not take: new series,
exemplars, flags, delta temporality, summaries, native histograms, several timestamps in
one metric, repeated points."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from upstream_prw.encode.batches import Shards
from upstream_prw.encode.entries import STALE, bucket_entries, exemplar_entries, histogram_doubles
from upstream_prw.encode.series import BucketGroup, BucketLayout, Group, PlanState
from upstream_prw.encode.wire import histogram_bytes, length_prefixed, pack_double, varint
from upstream_prw.errors import UntranslatableError
from upstream_prw.translate.delta import fold_delta
from upstream_prw.translate.model import NOT_LATER, Dropped
from upstream_prw.translate.plan import Kind
from upstream_prw.translate.plans import attributes_key
from upstream_prw.translate.points import native_histogram, summary_values

__all__ = ["NewGroup", "encode_points"]

NewGroup = Callable[[PlanState, Any, Any, int], Group]
"""Makes the group of a point not seen before: (state, key, point, sample length)."""

_NO_LAYOUT = BucketLayout((), ())


class _Report(Protocol):
    points: int
    dropped: list[Dropped]


def encode_points(
    state: PlanState,
    points: Any,
    gen: int,
    shards: Shards,
    report: _Report,
    new_group: NewGroup,
) -> int | None:
    """Encode one metric's points, one at a time; return the latest timestamp among them."""
    plan = state.plan
    kind = plan.kind
    single = kind is Kind.GAUGE or kind is Kind.COUNTER
    delta = plan.delta
    groups = state.groups
    parts, sizes, counts, bounds = shards.parts, shards.sizes, shards.counts, shards.bounds
    check_flags = hasattr(points[0], "flags")
    check_exemplars = hasattr(points[0], "exemplars")
    state.start(gen)
    previous = gen - 1
    duplicates = fresh = skipped = 0  # counted where rare, so the common path counts nothing
    last_bounds: Any = None
    layout = _NO_LAYOUT
    last_time = -1
    tail = b""
    sample_len = 0
    ts = None
    latest: int | None = None
    for point in points:
        time = point.time_unix_nano
        if time != last_time:
            last_time = time
            ts = time // 1_000_000
            latest = ts if latest is None else max(latest, ts)
            tail = b"\x10" + varint(ts)
            sample_len = 9 + len(tail)
            value_len = sample_len - 1  # the double and the timestamp
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
                if ts is None or ts <= state.sent_ms(group):
                    skipped += 1
                    report.dropped.append(Dropped(plan.otel_name, NOT_LATER))
                    continue
            else:
                fresh += 1  # back after missing an export
        group.seen = gen
        group.last_gen, group.last_ms = gen, ts or 0
        if group.shadowed_by:
            skipped += 1
            report.dropped.append(
                Dropped(plan.otel_name, f"its series are already produced by {group.shadowed_by}")
            )
            continue
        if delta:
            group.delta, point = fold_delta(group.delta, point)
        if check_exemplars and point.exemplars:
            series = exemplar_entries(state, group, point, ts or 0)
            shards.add(group.shard, sum(map(len, series)), len(series), series)
        elif single:
            prefix = group.prefix  # type: ignore[attr-defined]
            if prefix[-2] != sample_len:
                prefix = group.prefix_for(sample_len)  # type: ignore[attr-defined]
            shard = group.shard
            size = len(prefix) + value_len
            if sizes[shard] + size > bounds[shard]:
                shards.make_room(shard, size)
            value = STALE if check_flags and point.flags & 1 else pack_double(point.value)
            parts[shard] += (prefix, value, tail)
            sizes[shard] += size
            counts[shard] += 1
        elif kind is Kind.NATIVE:
            try:
                histogram = histogram_bytes(native_histogram(point, ts or 0))
            except UntranslatableError as exc:
                report.dropped.append(Dropped(plan.otel_name, str(exc)))
                skipped += 1
                continue
            entry = length_prefixed(b"\x0a", group.labels + histogram)  # type: ignore[attr-defined]
            shards.add(group.shard, len(entry), 1, (entry,))
        else:
            bucket_group: BucketGroup = group  # type: ignore[assignment]
            if kind is Kind.HISTOGRAM:
                explicit = point.explicit_bounds
                if explicit is not last_bounds:
                    last_bounds, layout = explicit, state.layout(point)
                bucket_group.layout = layout
                values: Iterable[bytes] = histogram_doubles(point, len(explicit), check_flags)
            else:
                layout = bucket_group.layout = state.layout(point)
                values = map(pack_double, summary_values(point))
            after = bucket_group.after
            if after[-2] != sample_len:
                after = bucket_group.after_for(sample_len)
            joined = bucket_entries(bucket_group, layout, after, values, sample_len, tail)
            shard = group.shard
            size = len(joined)
            if sizes[shard] + size > bounds[shard]:
                shards.make_room(shard, size)
            parts[shard].append(joined)
            sizes[shard] += size
            counts[shard] += layout.rows
    marked = len(points) - duplicates
    state.marked += marked
    state.kept += marked - fresh
    report.points += len(points) - skipped
    return latest
