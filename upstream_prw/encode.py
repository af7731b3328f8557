"""Translate and encode one export into bounded, sharded, compressed requests.

The hot path: a dictionary lookup per point finds the point's cached label encodings, and
each series costs a few byte-string appends. Requests are compressed and handed on as soon
as a shard's batch is full, so memory stays bounded and no single C call runs for long.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zlib import crc32

import cramjam

from upstream_prw.batch import EncodedRequest
from upstream_prw.groups import Group, PlanState, new_group, series_prefix
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
from upstream_prw.translate.series import target_info_name
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
_SMALL = tuple(varint(i) for i in range(16384))


def _compress(raw: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(raw))


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


class _Batches:
    """Per-shard byte buffers cut into requests below the size limit."""

    def __init__(self, num_shards: int, limit: int, emit: Emit, report: EncodeReport) -> None:
        self.parts: list[list[bytes]] = [[] for _ in range(num_shards)]
        self.sizes = [0] * num_shards
        self.series = [0] * num_shards
        self.limit = limit
        self.emit = emit
        self.report = report

    def add(self, shard: int, size: int, series: int, parts: Iterable[bytes]) -> None:
        if self.sizes[shard] + size > self.limit and self.series[shard]:
            self.flush(shard)
        self.parts[shard] += parts
        self.sizes[shard] += size
        self.series[shard] += series

    def flush(self, shard: int) -> None:
        if not self.series[shard]:
            return
        raw = b"".join(self.parts[shard])
        count = self.series[shard]
        self.parts[shard] = []
        self.sizes[shard] = self.series[shard] = 0
        self.report.requests += 1
        self.report.series += count
        self.emit(EncodedRequest(shard, _compress(raw), len(raw), count, count))

    def flush_all(self) -> None:
        for shard in range(len(self.parts)):
            self.flush(shard)


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
        self._info: dict[ResourceLabels, Group] = {}
        self._owners: dict[int, tuple[Group, str]] = {}
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
        batches = _Batches(self.num_shards, self.max_batch_size_bytes, emit, report)
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
            ts = self._encode_points(state, points, gen, batches, report)
            if ts is not None and resource.info is not None:
                resource_ts[resource] = max(ts, resource_ts.get(resource, ts))
            if self.settings.send_metadata and plan.name not in metadata:
                metadata[plan.name] = metadata_bytes(
                    plan.metadata_type, plan.name, plan.help, plan.unit
                )
        if self.settings.target_info:
            self._encode_target_info(resource_ts, gen, batches, report)
        latest = max(resource_ts.values(), default=0)
        # Stale markers carry the time of the collection that no longer has the series;
        # the wall clock only stands in for an export without points.
        self._generation_ts[gen] = max(latest or now_ms, self._generation_ts.get(gen - 1, 0))
        self._encode_stale(gen, batches, report)
        batches.flush_all()
        if metadata:
            self._emit_metadata(list(metadata.values()), emit, report)
        self._evict(gen)
        return report

    def stale_all(self, emit: Emit, *, now_ms: int) -> EncodeReport:
        """Stale markers for every live series (on shutdown); the caches are cleared."""
        report = EncodeReport()
        batches = _Batches(self.num_shards, self.max_batch_size_bytes, emit, report)
        gen = self._plans.generation
        ts = max(now_ms, self._generation_ts.get(gen, 0) + 1)
        for group in self._live_groups():
            if group.seen == gen and not group.shadowed_by:
                self._stale_group(group, ts, batches, report)
        batches.flush_all()
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
        batches: _Batches,
        report: EncodeReport,
    ) -> int | None:
        """Encode one metric's points; return the timestamp of the last one."""
        plan = state.plan
        kind = plan.kind
        groups = state.groups
        check_flags = hasattr(points[0], "flags")
        last_time = -1
        tail = b""
        sample_len = 0
        ts = None
        for point in points:
            attributes = point.attributes
            try:
                key: Any = tuple(attributes.items()) if attributes else ()
                group = groups.get(key)
            except TypeError:  # unhashable attribute values (sequences)
                key = attributes_key(attributes)
                group = groups.get(key)
            if group is None:
                group = self._new_group(state, key, point)
            if group.seen == gen:
                report.dropped.append(
                    Dropped(plan.otel_name, "more than one point for the same series")
                )
                continue
            group.seen = gen
            if group.shadowed_by:
                report.dropped.append(
                    Dropped(
                        plan.otel_name, f"its series are already produced by {group.shadowed_by}"
                    )
                )
                continue
            if plan.delta:
                group.delta, point = fold_delta(group.delta, point)
            time = point.time_unix_nano
            if time != last_time:
                last_time = time
                ts = time // 1_000_000
                tail = b"\x10" + varint(ts)
                sample_len = 9 + len(tail)
            stale = check_flags and point.flags & 1
            if getattr(point, "exemplars", None):
                self._encode_with_exemplars(state, group, point, ts or 0, batches)
            elif kind is Kind.GAUGE or kind is Kind.COUNTER:
                prefix = group.prefixes_for(sample_len)[0]
                value = _STALE if stale else pack_double(point.value)
                batches.add(group.shard, len(prefix) + len(tail) + 8, 1, (prefix, value, tail))
            elif kind is Kind.NATIVE:
                try:
                    histogram = histogram_bytes(native_histogram(point, ts or 0))
                except UntranslatableError as exc:
                    report.dropped.append(Dropped(plan.otel_name, str(exc)))
                    continue
                entry = length_prefixed(b"\x0a", group.labels + histogram)
                batches.add(group.shard, len(entry), 1, (entry,))
            else:
                self._encode_buckets(state, group, point, sample_len, tail, batches)
            report.points += 1
        return ts

    def _encode_buckets(
        self,
        state: PlanState,
        group: Group,
        point: Any,
        sample_len: int,
        tail: bytes,
        batches: _Batches,
    ) -> None:
        """The bucket (or quantile), `_sum` and `_count` series of one point."""
        group.extras = self._extras(state, point)
        if state.plan.kind is Kind.HISTOGRAM:
            values = histogram_values(point)
        else:
            values = summary_values(point)
        sum_prefix, count_prefix = group.prefixes_for(sample_len)
        pre, post, base = group.pre, group.post, group.bucket_len
        head = b"\x12" + bytes((sample_len,)) + b"\x09"
        parts: list[bytes] = []
        size = 0
        for extra, value in zip(group.extras, values, strict=False):
            entry_len = base + len(extra)
            length = _SMALL[entry_len] if entry_len < 16384 else varint(entry_len)
            parts += (b"\x0a", length, pre, extra, post, head, pack_double(value), tail)
            size += entry_len + 1 + len(length)
        parts += (sum_prefix, pack_double(values[-2]), tail, count_prefix)
        parts += (pack_double(values[-1]), tail)
        size += len(sum_prefix) + len(count_prefix) + 2 * (8 + len(tail))
        batches.add(group.shard, size, len(values), parts)

    def _extras(self, state: PlanState, point: Any) -> tuple[bytes, ...]:
        """Encoded `le` (or `quantile`) labels for the point's bucket layout, shared."""
        plan = state.plan
        if plan.kind is Kind.HISTOGRAM:
            bounds = point.explicit_bounds
            if bounds is state.last_bounds:  # the SDK hands every point the same sequence
                return state.last_extras
            key = tuple(bounds)
            layout = plan.bucket_layout(key)
        else:
            bounds = key = tuple(q.quantile for q in point.quantile_values)
            layout = plan.quantile_layout(key)
        extras = state.extras_cache.get(key)
        if extras is None:
            extras = state.extras_cache[key] = state.extras_for(layout)
        state.last_bounds, state.last_extras = bounds, extras
        return extras

    # -- cold paths ---------------------------------------------------------------------

    def _new_group(self, state: PlanState, key: Any, point: Any) -> Group:
        plan = state.plan
        base = plan.context.labels(point.attributes, plan.reserved)
        extras = self._extras(state, point) if plan.kind in (Kind.HISTOGRAM, Kind.SUMMARY) else ()
        group = new_group(plan, base, extras, self.num_shards)
        names = [plan.name] if not extras else [f"{plan.name}_sum", f"{plan.name}_count"]
        group.keys = tuple(hash((name, base)) for name in names)
        for k in group.keys:
            owner = self._owners.get(k)
            if owner is None or owner[0].seen < self._plans.generation - self._plans.max_idle:
                self._owners[k] = (group, plan.otel_name)
            elif not group.shadowed_by:
                group.shadowed_by = owner[1]
        state.groups[key] = group
        return group

    def _encode_with_exemplars(
        self, state: PlanState, group: Group, point: Any, ts: int, batches: _Batches
    ) -> None:
        """The general form for points carrying exemplars (rare: sampled traces only)."""
        plan = state.plan
        stale = bool(getattr(point, "flags", 0) & 1)
        exemplars = [exemplar_out(e) for e in point.exemplars]
        if plan.kind in (Kind.HISTOGRAM, Kind.SUMMARY):
            group.extras = self._extras(state, point)
            values = (
                histogram_values(point) if plan.kind is Kind.HISTOGRAM else summary_values(point)
            )
            bodies = [group.pre + e + group.post for e in group.extras]
            bodies += [group.sum_labels, group.count_labels]
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
        batches.add(group.shard, sum(map(len, entries)), len(entries), entries)

    def _encode_target_info(
        self,
        resource_ts: dict[ResourceLabels, int],
        gen: int,
        batches: _Batches,
        report: EncodeReport,
    ) -> None:
        """One `target_info` series per resource that has non-identifying attributes."""
        for resource, ts in resource_ts.items():
            group = self._info.get(resource)
            if group is None:
                labels = labels_bytes(
                    sorted([*(resource.info or ()), ("__name__", self._info_name)])
                )
                group = Group(kind=Kind.GAUGE, shard=crc32(labels) % self.num_shards, labels=labels)
                self._info[resource] = group
            group.seen = gen
            tail = b"\x10" + varint(ts)
            prefix = group.prefixes_for(9 + len(tail))[0]
            batches.add(
                group.shard, len(prefix) + len(tail) + 8, 1, (prefix, pack_double(1.0), tail)
            )

    # -- staleness and eviction ---------------------------------------------------------

    def _live_groups(self) -> Iterable[Group]:
        for state in self._states.values():
            yield from state.groups.values()
        yield from self._info.values()

    def _encode_stale(self, gen: int, batches: _Batches, report: EncodeReport) -> None:
        """A stale NaN for each series that was in the previous export and not in this one."""
        if gen - 1 not in self._generation_ts:
            return
        ts = max(self._generation_ts[gen], self._generation_ts[gen - 1] + 1)
        for group in self._live_groups():
            if group.seen == gen - 1 and not group.shadowed_by:
                self._stale_group(group, ts, batches, report)

    def _stale_group(self, group: Group, ts: int, batches: _Batches, report: EncodeReport) -> None:
        tail = b"\x10" + varint(ts)
        sample_len = 9 + len(tail)
        if group.kind is Kind.NATIVE:
            # A native series goes stale through a float sample carrying the stale NaN.
            prefixes: tuple[bytes, ...] = group.prefixes_for(sample_len)
        else:
            prefixes = group.prefixes_for(sample_len)
            if group.kind in (Kind.HISTOGRAM, Kind.SUMMARY):
                buckets = [
                    series_prefix(group.pre + extra + group.post, sample_len)
                    for extra in group.extras
                ]
                prefixes = (*buckets, *prefixes)
        parts: list[bytes] = []
        for prefix in prefixes:
            parts += (prefix, _STALE, tail)
        size = sum(map(len, prefixes)) + len(prefixes) * (8 + len(tail))
        batches.add(group.shard, size, len(prefixes), parts)
        report.stale_markers += len(prefixes)

    def _emit_metadata(self, entries: list[bytes], emit: Emit, report: EncodeReport) -> None:
        """Metadata goes in requests of its own, as Prometheus sends it."""
        batch: list[bytes] = []
        size = 0
        for entry in [*entries, b""]:
            if batch and (not entry or size + len(entry) > self.max_batch_size_bytes):
                raw = b"".join(batch)
                emit(EncodedRequest(0, _compress(raw), len(raw), 0, 0))
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
                    self._release(group)
        if gen % max(1, self._plans.max_idle) == 0:
            for state in self._states.values():
                idle = [k for k, g in state.groups.items() if g.seen < oldest]
                for key in idle:
                    self._release(state.groups.pop(key))
            for resource in [r for r, g in self._info.items() if g.seen < oldest]:
                del self._info[resource]
        for old in [g for g in self._generation_ts if g < gen - 1]:
            del self._generation_ts[old]

    def _release(self, group: Group) -> None:
        for key in group.keys:
            owner = self._owners.get(key)
            if owner is not None and owner[0] is group:
                del self._owners[key]
