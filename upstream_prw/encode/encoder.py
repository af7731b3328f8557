"""Translate and encode one export into bounded, sharded, compressed requests.

Each point's series are encoded once, when first seen, and kept (`groups.py`); later
exports look them up and append them with the new values to their shard, a metric at a time
where they can (`fastpath.py`), a point at a time where they must (`general.py`). Requests
are compressed as they fill and handed on when full (`shards.py`), so memory stays bounded
and no single C call runs for long. Here: the export as a whole, new series, `target_info`,
stale markers, metadata, and forgetting what has gone idle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cramjam

from upstream_prw.encode.batches import EncodedRequest, Shards
from upstream_prw.encode.entries import stale_entries
from upstream_prw.encode.fast_path import encode_histograms, encode_numbers
from upstream_prw.encode.owners import SeriesOwners
from upstream_prw.encode.point_loop import encode_points
from upstream_prw.encode.series import BucketGroup, Group, PlanState, SeriesGroup, shard_of
from upstream_prw.encode.templates import Templates, general_runs
from upstream_prw.encode.wire import labels_bytes, metadata_bytes, pack_double, sample_tail
from upstream_prw.translate.labels import ResourceLabels
from upstream_prw.translate.model import Dropped, series_labels, target_info_name
from upstream_prw.translate.plan import Kind, MetricPlan
from upstream_prw.translate.plans import PlanCache
from upstream_prw.translate.settings import TranslationSettings

__all__ = ["EncodeReport", "MetricsEncoder"]

Emit = Callable[[EncodedRequest], None]


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
        self._owners = SeriesOwners()
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
                    self._stale_group(group, ts, shards, report)
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
        kind = state.plan.kind
        if kind is Kind.GAUGE or kind is Kind.COUNTER:
            ts = encode_numbers(state, points, gen, shards)
        elif kind is Kind.HISTOGRAM:
            ts = encode_histograms(state, points, gen, shards)
        else:
            ts = None
        if ts is not None:
            report.points += len(points)
            return ts
        return encode_points(state, points, gen, shards, report, self._new_group)

    # -- cold paths ---------------------------------------------------------------------

    def _new_group(self, state: PlanState, key: Any, point: Any, sample_len: int) -> Group:
        """The cached series of a point not seen before, from its label template."""
        plan = state.plan
        attributes = point.attributes or {}
        template = self._templates.get(plan.context, tuple(attributes), plan.reserved)
        runs = None if template is None else template.fill(list(attributes.values()))
        group: Group
        if plan.kind is Kind.HISTOGRAM or plan.kind is Kind.SUMMARY:
            if runs is None:
                runs = general_runs(plan.context.labels(attributes, plan.reserved), plan.reserved)
            before, between, after = runs
            shard = shard_of(before + state.bucket_name + between + after, self.num_shards)
            group = BucketGroup(shard, plan.otel_name, runs, sample_len)
            keys = group.series_keys(state)
        else:
            if runs is None:
                base = plan.context.labels(attributes)
                labels = labels_bytes(series_labels(base, plan.name, None))
            else:
                labels = runs[0] + state.series_name + runs[1]
            group = SeriesGroup(
                shard_of(labels, self.num_shards), plan.otel_name, labels, sample_len
            )
            keys = (hash(labels),)  # group.series_keys(state), without parsing the prefix
        idle_before = self._plans.generation - self._plans.max_idle
        self._owners.claim(group, keys, idle_before)
        state.groups[key] = group
        return group

    def _encode_target_info(
        self, resource_ts: dict[ResourceLabels, int], gen: int, shards: Shards
    ) -> None:
        """One `target_info` series per resource that has non-identifying attributes."""
        for resource, ts in resource_ts.items():
            tail, sample_len = sample_tail(ts)
            group = self._info.get(resource)
            if group is None:
                labels = labels_bytes(
                    sorted([*(resource.info or ()), ("__name__", self._info_name)])
                )
                group = SeriesGroup(shard_of(labels, self.num_shards), "", labels, sample_len)
                self._info[resource] = group
            group.seen = gen
            prefix = group.prefix_for(sample_len)
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
                        self._stale_group(group, ts, shards, report)
        self._stale_info(gen - 1, ts, shards, report)

    def _stale_info(self, seen: int, ts: int, shards: Shards, report: EncodeReport) -> None:
        for group in self._info.values():
            if group.seen == seen:
                self._stale_group(group, ts, shards, report)

    @staticmethod
    def _stale_group(group: Group, ts: int, shards: Shards, report: EncodeReport) -> None:
        entries, series = stale_entries(group, ts)
        shards.add(group.shard, len(entries), series, (entries,))
        report.stale_markers += series

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
        self._owners.release(group, group.series_keys(state))
