"""Translate and encode one export into bounded, sharded, compressed requests.

The hot path: a dictionary lookup per point finds the point's cached label encodings, and
each series is a few byte strings appended to its shard's list. Requests are compressed and
handed on as soon as a shard's batch is full, so memory stays bounded and no single C call
runs for long (compression releases the GIL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import cramjam

from upstream_prw.batch import EncodedRequest
from upstream_prw.fastpath import (
    bucket_entries,
    encode_histograms,
    encode_numbers,
    histogram_doubles,
)
from upstream_prw.groups import (
    BucketGroup,
    BucketLayout,
    Group,
    PlanState,
    SeriesGroup,
    shard_of,
)
from upstream_prw.shards import Shards
from upstream_prw.templates import Templates, general_runs
from upstream_prw.translate.delta import fold_delta
from upstream_prw.translate.labels import ResourceLabels
from upstream_prw.translate.model import STALE_NAN, Dropped
from upstream_prw.translate.native import UntranslatableError
from upstream_prw.translate.plan import Kind, MetricPlan
from upstream_prw.translate.points import (
    bucket_index,
    exemplar_out,
    histogram_values,
    native_histogram,
    summary_values,
)
from upstream_prw.translate.series import series_labels, target_info_name
from upstream_prw.translate.settings import TranslationSettings
from upstream_prw.translate.walk import PlanCache, attributes_key
from upstream_prw.wire import (
    histogram_bytes,
    labels_bytes,
    length_prefixed,
    metadata_bytes,
    pack_double,
    timeseries_bytes,
    varint,
)

__all__ = ["EncodeReport", "MetricsEncoder"]

Emit = Callable[[EncodedRequest], None]
_STALE = pack_double(STALE_NAN)
_NO_LAYOUT = BucketLayout((), ())


@dataclass(slots=True)
class EncodeReport:
    """What one call produced: counts, and every point that could not be sent, with why."""

    requests: int = 0
    series: int = 0  # TimeSeries entries sent, one sample or histogram each
    points: int = 0  # OpenTelemetry data points translated
    stale_markers: int = 0
    dropped: list[Dropped] = field(default_factory=list)

    @property
    def dropped_points(self) -> int:
        return sum(d.points for d in self.dropped)


class MetricsEncoder:
    """Stateful translator-encoder: caches, delta accumulation, stale markers.

    Not thread-safe: the exporter calls it from one export at a time.
    """

    def __init__(
        self,
        settings: TranslationSettings,
        *,
        num_shards: int = 1,
        max_batch_size_bytes: int = 3_000_000,
        max_idle_collections: int = 5,
    ) -> None:
        self.settings = settings
        self.num_shards = max(1, num_shards)
        self.max_batch_size_bytes = max_batch_size_bytes
        self._plans = PlanCache(settings, max_idle=max_idle_collections)
        self._states: dict[MetricPlan, PlanState] = {}
        self._info: dict[ResourceLabels, SeriesGroup] = {}
        self._owners: dict[int, Group] = {}
        self._templates = Templates()
        self._generation_ts: dict[int, int] = {}
        self._info_name = target_info_name(settings)

    @property
    def cache_size(self) -> int:
        """Cached series groups (one per distinct point identity)."""
        return sum(len(s.groups) for s in self._states.values()) + len(self._info)

    def encode(self, metrics_data: Any, emit: Emit, *, now_ms: int = 0) -> EncodeReport:
        """Encode one export; stale markers for series that disappeared since the last one."""
        report = EncodeReport()
        gen = self._plans.next_generation()
        shards = Shards(self.num_shards, self.max_batch_size_bytes, emit, report)
        resource_ts: dict[ResourceLabels, int] = {}
        metadata: dict[str, bytes] = {}
        for resource, plan, metric in self._plans.walk(metrics_data):
            points = metric.data.data_points
            if isinstance(plan, str):
                report.dropped.append(Dropped(metric.name, plan, len(points)))
                continue
            if not points:
                continue
            state = self._states.get(plan)
            if state is None:
                state = self._states[plan] = PlanState(plan)
            ts = self._encode_points(state, points, gen, shards, report)
            if ts is not None and resource.info is not None:
                resource_ts[resource] = max(ts, resource_ts.get(resource, ts))
            if self.settings.send_metadata and plan.name not in metadata:
                metadata[plan.name] = metadata_bytes(
                    plan.metadata_type, plan.name, plan.help, plan.unit
                )
        if self.settings.target_info:
            self._encode_target_info(resource_ts, gen, shards)
        latest = max(resource_ts.values(), default=0)
        # Stale markers carry the time of the collection that no longer has the series;
        # the wall clock only stands in for an export without points.
        self._generation_ts[gen] = max(latest or now_ms, self._generation_ts.get(gen - 1, 0))
        self._encode_stale(gen, shards, report)
        shards.flush_all()
        if metadata:
            self._emit_metadata(list(metadata.values()), emit, report)
        self._evict(gen)
        return report

    def stale_all(self, emit: Emit, *, now_ms: int) -> EncodeReport:
        """Stale markers for every live series (on shutdown); the caches are cleared."""
        report = EncodeReport()
        shards = Shards(self.num_shards, self.max_batch_size_bytes, emit, report)
        gen = self._plans.generation
        ts = max(now_ms, self._generation_ts.get(gen, 0) + 1)
        for state in self._states.values():
            for group in state.groups.values():
                if group.seen == gen and not group.shadowed_by:
                    self._stale_group(state, group, ts, shards, report)
        self._stale_info(gen, ts, shards, report)
        shards.flush_all()
        self._states.clear()
        self._info.clear()
        self._owners.clear()
        return report

    # -- points -------------------------------------------------------------------------

    def _encode_points(
        self,
        state: PlanState,
        points: Any,
        gen: int,
        shards: Shards,
        report: EncodeReport,
    ) -> int | None:
        """Encode one metric's points; return the latest timestamp among them."""
        plan = state.plan
        kind = plan.kind
        single = kind is Kind.GAUGE or kind is Kind.COUNTER
        if single:
            ts = encode_numbers(state, points, gen, shards)
        elif kind is Kind.HISTOGRAM:
            ts = encode_histograms(state, points, gen, shards)
        else:
            ts = None
        if ts is not None:
            report.points += len(points)
            return ts
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
                group = self._new_group(state, key, point, sample_len)
                fresh += 1
            elif group.seen != previous:
                if group.seen == gen:
                    duplicates += 1
                    report.dropped.append(
                        Dropped(plan.otel_name, "more than one point for the same series")
                    )
                    continue
                fresh += 1  # back after missing an export
            group.seen = gen
            if group.shadowed_by:
                skipped += 1
                report.dropped.append(
                    Dropped(
                        plan.otel_name, f"its series are already produced by {group.shadowed_by}"
                    )
                )
                continue
            if delta:
                group.delta, point = fold_delta(group.delta, point)
            if check_exemplars and point.exemplars:
                self._encode_with_exemplars(state, group, point, ts or 0, shards)
            elif single:
                prefix = group.prefix  # type: ignore[attr-defined]
                if prefix[-2] != sample_len:
                    prefix = group.prefix_for(sample_len)  # type: ignore[attr-defined]
                shard = group.shard
                size = len(prefix) + value_len
                if sizes[shard] + size > bounds[shard]:
                    shards.make_room(shard, size)
                value = _STALE if check_flags and point.flags & 1 else pack_double(point.value)
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
                entries = bucket_entries(bucket_group, layout, after, values, sample_len, tail)
                shard = group.shard
                size = len(entries)
                if sizes[shard] + size > bounds[shard]:
                    shards.make_room(shard, size)
                parts[shard].append(entries)
                sizes[shard] += size
                counts[shard] += layout.rows
        marked = len(points) - duplicates
        state.marked += marked
        state.kept += marked - fresh
        report.points += marked - skipped
        return latest

    # -- cold paths ---------------------------------------------------------------------

    def _new_group(self, state: PlanState, key: Any, point: Any, sample_len: int) -> Group:
        plan = state.plan
        attributes = point.attributes or {}
        template = self._templates.get(plan.context, tuple(attributes), plan.reserved)
        runs = None if template is None else template.fill(list(attributes.values()))
        group: Group
        # Keys to the registry of series already produced: hashes of their encoded labels.
        if plan.kind is Kind.HISTOGRAM or plan.kind is Kind.SUMMARY:
            if runs is None:
                runs = general_runs(plan.context.labels(attributes, plan.reserved), plan.reserved)
            before, between, after = runs
            shard = shard_of(before + state.bucket_name + between + after, self.num_shards)
            group = BucketGroup(shard, plan.otel_name, runs, sample_len)
            keys = [hash(b"".join((before, name, between, after))) for name in state.totals]
        else:
            if runs is None:
                base = plan.context.labels(attributes)
                labels = labels_bytes(series_labels(base, plan.name, None))
            else:
                labels = runs[0] + state.series_name + runs[1]
            group = SeriesGroup(
                shard_of(labels, self.num_shards), plan.otel_name, labels, sample_len
            )
            keys = [hash(labels)]
        for k in keys:
            owner = self._owners.get(k)
            if owner is None or owner.seen < self._plans.generation - self._plans.max_idle:
                self._owners[k] = group
            elif not group.shadowed_by:
                group.shadowed_by = owner.origin
        state.groups[key] = group
        return group

    def _encode_with_exemplars(
        self, state: PlanState, group: Any, point: Any, ts: int, shards: Shards
    ) -> None:
        """The general form for points carrying exemplars (rare: sampled traces only)."""
        plan = state.plan
        stale = bool(getattr(point, "flags", 0) & 1)
        exemplars = [exemplar_out(e) for e in point.exemplars]
        if plan.kind in (Kind.HISTOGRAM, Kind.SUMMARY):
            layout = group.layout = state.layout(point)
            values = (
                histogram_values(point) if plan.kind is Kind.HISTOGRAM else summary_values(point)
            )
            bodies = [group.body(n, x) for n, x in zip(layout.names, layout.extras, strict=True)]
            attached: dict[int, list[Any]] = {}
            if plan.kind is Kind.HISTOGRAM:
                for exemplar in exemplars:
                    index = bucket_index(point.explicit_bounds, exemplar.value)
                    attached.setdefault(index, []).append(exemplar)
            entries = [
                timeseries_bytes(body, [(value, ts)], exemplars=attached.get(i, ()))
                for i, (body, value) in enumerate(zip(bodies, values, strict=True))
            ]
        elif plan.kind is Kind.NATIVE:
            histogram = native_histogram(point, ts)
            entries = [timeseries_bytes(group.labels, histograms=[histogram], exemplars=exemplars)]
        else:
            value = STALE_NAN if stale else float(point.value)
            entries = [timeseries_bytes(group.labels, [(value, ts)], exemplars=exemplars)]
        shards.add(group.shard, sum(map(len, entries)), len(entries), entries)

    def _encode_target_info(
        self, resource_ts: dict[ResourceLabels, int], gen: int, shards: Shards
    ) -> None:
        """One `target_info` series per resource that has non-identifying attributes."""
        for resource, ts in resource_ts.items():
            tail = b"\x10" + varint(ts)
            group = self._info.get(resource)
            if group is None:
                labels = labels_bytes(
                    sorted([*(resource.info or ()), ("__name__", self._info_name)])
                )
                group = SeriesGroup(shard_of(labels, self.num_shards), "", labels, 9 + len(tail))
                self._info[resource] = group
            group.seen = gen
            prefix = group.prefix_for(9 + len(tail))
            shards.add(
                group.shard, len(prefix) + 8 + len(tail), 1, (prefix, pack_double(1.0), tail)
            )

    # -- staleness and eviction ---------------------------------------------------------

    def _encode_stale(self, gen: int, shards: Shards, report: EncodeReport) -> None:
        """A stale NaN for each series that was in the previous export and not in this one."""
        if gen - 1 not in self._generation_ts:
            return
        ts = max(self._generation_ts[gen], self._generation_ts[gen - 1] + 1)
        for state in self._states.values():
            if state.lost_series(gen):  # else every series it had is still there
                for group in state.groups.values():
                    if group.seen == gen - 1 and not group.shadowed_by:
                        self._stale_group(state, group, ts, shards, report)
        self._stale_info(gen - 1, ts, shards, report)

    def _stale_info(self, seen: int, ts: int, shards: Shards, report: EncodeReport) -> None:
        for group in self._info.values():
            if group.seen == seen:
                self._stale_series(group, ts, shards, report)

    def _stale_group(
        self, state: PlanState, group: Group, ts: int, shards: Shards, report: EncodeReport
    ) -> None:
        if isinstance(group, SeriesGroup):
            # A native series goes stale through a float sample carrying the stale NaN.
            self._stale_series(group, ts, shards, report)
            return
        assert isinstance(group, BucketGroup)
        tail = b"\x10" + varint(ts)
        sample_len = 9 + len(tail)
        layout = group.layout or _NO_LAYOUT
        rows = layout.rows
        after = group.after_for(sample_len)
        entries = bucket_entries(group, layout, after, [_STALE] * rows, sample_len, tail)
        shards.add(group.shard, len(entries), rows, (entries,))
        report.stale_markers += rows

    @staticmethod
    def _stale_series(group: SeriesGroup, ts: int, shards: Shards, report: EncodeReport) -> None:
        tail = b"\x10" + varint(ts)
        prefix = group.prefix_for(9 + len(tail))
        shards.add(group.shard, len(prefix) + 8 + len(tail), 1, (prefix, _STALE, tail))
        report.stale_markers += 1

    def _emit_metadata(self, entries: list[bytes], emit: Emit, report: EncodeReport) -> None:
        """Metadata goes in requests of its own, as Prometheus sends it."""
        batch: list[bytes] = []
        size = 0
        for entry in [*entries, b""]:
            if batch and (not entry or size + len(entry) > self.max_batch_size_bytes):
                raw = b"".join(batch)
                payload = bytes(cramjam.snappy.compress_raw(raw))
                emit(EncodedRequest(0, payload, len(raw), 0, 0))
                report.requests += 1
                batch, size = [], 0
            if entry:
                batch.append(entry)
                size += len(entry)

    def _evict(self, gen: int) -> None:
        """Forget series idle for `max_idle_collections` exports, and their plans."""
        oldest = gen - self._plans.max_idle
        for plan in self._plans.evict():
            state = self._states.pop(plan, None)
            if state is not None:
                for group in state.groups.values():
                    self._release(state, group)
        if gen % max(1, self._plans.max_idle) == 0:
            for state in self._states.values():
                if state.gen == gen and state.marked == len(state.groups):
                    continue  # every group was seen in this export
                idle = [k for k, g in state.groups.items() if g.seen < oldest]
                for key in idle:
                    self._release(state, state.groups.pop(key))
            for resource in [r for r, g in self._info.items() if g.seen < oldest]:
                del self._info[resource]
        for old in [g for g in self._generation_ts if g < gen - 1]:
            del self._generation_ts[old]

    def _release(self, state: PlanState, group: Group) -> None:
        for key in group.registry_keys(state):  # type: ignore[attr-defined]
            if self._owners.get(key) is group:
                del self._owners[key]
