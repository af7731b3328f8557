"""Translate and encode one export into bounded, sharded, compressed requests.

Each point's series are encoded once, when first seen, and kept (`series.py`); later
exports look them up and append them with the new values to their shard, a metric at a time
where they can (`fast_path.py`), a point at a time where they must (`point_loop.py`).
Requests are compressed as they fill and handed on when full (`batches.py`), so memory
stays bounded and no single C call runs for long. Here: the export as a whole, one metric
at a time (one that raises costs only itself), new series, `target_info`, stale markers
(`staleness.py`), metadata, and forgetting what has gone idle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from upstream_prw.encode.batches import EncodedRequest, Shards, emit_metadata
from upstream_prw.encode.catalog import Catalog
from upstream_prw.encode.fast_path import encode_histograms, encode_numbers
from upstream_prw.encode.owners import SeriesOwners
from upstream_prw.encode.point_loop import encode_points
from upstream_prw.encode.report import EncodeReport
from upstream_prw.encode.series import BucketGroup, Group, PlanState, SeriesGroup, shard_of
from upstream_prw.encode.staleness import ExportMarks, stale_live, stale_lost, stale_time
from upstream_prw.encode.templates import Templates, general_runs
from upstream_prw.encode.wire import labels_bytes, metadata_bytes, pack_double, sample_tail
from upstream_prw.translate.classic import classic_points
from upstream_prw.translate.labels import ResourceLabels
from upstream_prw.translate.model import (
    Dropped,
    failure_reason,
    series_labels,
    target_info_labels,
    target_info_name,
)
from upstream_prw.translate.plan import STARTED_KINDS, Kind, MetricPlan
from upstream_prw.translate.plans import PlanCache, reported_name
from upstream_prw.translate.settings import TranslationSettings

__all__ = ["EncodeReport", "MetricsEncoder"]


Emit = Callable[[EncodedRequest], None]


class MetricsEncoder:
    """Stateful translator-encoder: caches, delta accumulation, stale markers.

    Every cache is bounded: series, plans and `target_info` are forgotten once idle for
    `max_idle_collections` exports; label templates, encoded label values, bucket layouts
    (per metric) and entry templates (per layout) are `LRU`s of the given sizes.
    Not thread-safe: the exporter calls it from one export at a time.
    """

    def __init__(
        self,
        settings: TranslationSettings,
        *,
        num_shards: int = 1,
        max_batch_size_bytes: int = 3_000_000,
        max_idle_collections: int = 5,
        max_label_templates: int = 4096,
        max_label_values: int = 8192,
        max_bucket_layouts: int = 64,
        max_entry_templates: int = 256,
    ) -> None:
        limits = {
            "max_label_templates": max_label_templates,
            "max_label_values": max_label_values,
            "max_bucket_layouts": max_bucket_layouts,
            "max_entry_templates": max_entry_templates,
        }
        for name, limit in limits.items():
            if limit < 1:
                raise ValueError(f"{name} must be at least 1, not {limit}")
        self.settings = settings
        self.num_shards = max(1, num_shards)
        self.max_batch_size_bytes = max_batch_size_bytes
        self._plans = PlanCache(settings, max_idle=max_idle_collections)
        self._states: dict[MetricPlan, PlanState] = {}
        self._info: dict[ResourceLabels, SeriesGroup] = {}
        self._owners = SeriesOwners()
        self._templates = Templates(max_label_templates, max_label_values)
        self._layout_limits = (max_bucket_layouts, max_entry_templates)
        self._last_ms = 0  # the latest sample time so far: stale markers come after it
        # Remote Write 2.0 (set per export): samples of counters, histograms and summaries
        # carry their start timestamp, and there are no metadata requests (each 2.0 series
        # carries its metadata); requests are then rewritten by `upgrade.Upgrader`.
        self.v2 = False
        self._info_name = target_info_name(settings)
        self.catalog = Catalog(self._info_name)  # what 2.0 series carry as metadata

    @property
    def cache_size(self) -> int:
        """Cached series groups (one per distinct point identity)."""
        return sum(len(s.groups) for s in self._states.values()) + len(self._info)

    def encode(self, metrics_data: Any, emit: Emit, *, now_ms: int = 0) -> EncodeReport:
        """Encode one export; stale markers for the series of each metric it carries that
        the metric's previous export had and this one has not. A metric, or a point, that
        cannot be encoded is reported in the result and costs only itself."""
        report = EncodeReport()
        gen = self._plans.next_generation()
        shards = Shards(self.num_shards, self.max_batch_size_bytes, emit, report)
        marks = ExportMarks()
        metadata: dict[str, bytes] = {}
        try:
            for resource, plan, metric in self._plans.walk(metrics_data):
                if isinstance(plan, str):
                    report.dropped.append(Dropped(reported_name(metric), plan, _points(metric)))
                elif (
                    self._encode_metric(resource, plan, metric, gen, shards, report, marks)
                    and self.settings.send_metadata
                    and plan.name not in metadata
                ):
                    metadata[plan.name] = metadata_bytes(
                        plan.metadata_type, plan.name, plan.help, plan.unit
                    )
        except Exception as exc:  # the export's own structure: what was read still goes out
            reason = "the rest of the export " + failure_reason(exc)
            report.dropped.append(Dropped("", reason, 0))
        if self.settings.target_info:
            self._encode_target_info(marks.resource_ts, gen, shards)
        latest = marks.latest if marks.latest is not None else now_ms
        stale_lost(self._states.values(), marks, gen, stale_time(latest, self._last_ms), shards)
        self._last_ms = max(self._last_ms, latest)
        report.stale_markers += marks.stale_markers
        shards.flush_all()
        if metadata and not self.v2:
            emit_metadata(list(metadata.values()), self.max_batch_size_bytes, emit, report)
        self._evict(gen)
        return report

    def stale_all(self, emit: Emit, *, now_ms: int) -> EncodeReport:
        """Stale markers for every live series (on shutdown); the caches are cleared."""
        report = EncodeReport()
        shards = Shards(self.num_shards, self.max_batch_size_bytes, emit, report)
        report.stale_markers = stale_live(
            self._states.values(), self._info.values(), stale_time(now_ms, self._last_ms), shards
        )
        shards.flush_all()
        self._states.clear()
        self._info.clear()
        self._owners.clear()
        return report

    # -- one metric ---------------------------------------------------------------------

    def _encode_metric(
        self,
        resource: ResourceLabels,
        plan: MetricPlan,
        metric: Any,
        gen: int,
        shards: Shards,
        report: EncodeReport,
        marks: ExportMarks,
    ) -> bool:
        """Encode one metric's points, a metric at a time where the fast path can, else (or
        from the point it could not write on) a point at a time. False if it raised
        half-way: then it is reported and marks nothing stale."""
        state = None
        ts: int | None = None
        before = (report.points, len(report.dropped))
        try:
            points = metric.data.data_points
            if plan.classic_buckets:
                points = classic_points(
                    points, plan.classic_buckets, plan.otel_name, report.dropped
                )
            state = self._states.get(plan)
            if state is None:
                state = self._states[plan] = PlanState(plan, *self._layout_limits)
                self.catalog.add(plan)
            kind = plan.kind
            taken = None
            with_start = self.v2 and kind in STARTED_KINDS
            if not points:  # exported without a point: each series it had goes stale
                state.start(gen)
            elif with_start:
                pass  # with start timestamps (2.0), each point has its own: the point loop
            elif kind is Kind.GAUGE or kind is Kind.COUNTER:
                taken = encode_numbers(state, points, gen, shards)
            elif kind is Kind.HISTOGRAM:
                taken = encode_histograms(state, points, gen, shards)
            if taken is not None:
                ts, n = taken
                report.points += n
                if n < len(points):
                    rest = encode_points(state, points[n:], gen, shards, report, self._new_group)
                    ts = ts if rest is None else max(ts, rest)
            elif points:
                new_group = self._new_group
                ts = encode_points(state, points, gen, shards, report, new_group, with_start)
        except Exception as exc:
            if state is not None and state.gen == gen:
                # Its marks in this export are partial: it makes nothing stale now, and the
                # next export compares with all its series.
                state.marked = len(state.groups)
                marks.failed.add(state)
            report.dropped.append(Dropped(plan.otel_name, failure_reason(exc), _points(metric)))
            return False
        finally:
            if plan.companion:
                report.forget_repeats(*before)
        marks.families.add(state.family)
        if ts is not None:
            if marks.latest is None or ts > marks.latest:
                marks.latest = ts
            if resource.info is not None:
                marks.resource_ts[resource] = max(ts, marks.resource_ts.get(resource, ts))
        return True

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
        limit = self.settings.max_labels_per_series
        if limit and not group.refused and (count := group.most_labels(state)) > limit:
            group.refused = f"a series of it has {count} labels, more than the {limit} allowed"
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
                info = target_info_labels(resource.info or (), self.settings, self._info_name)
                labels = labels_bytes(info)
                group = SeriesGroup(shard_of(labels, self.num_shards), "", labels, sample_len)
                self._info[resource] = group
            group.seen = gen
            prefix = group.prefix_for(sample_len)
            shards.add(
                group.shard, len(prefix) + 8 + len(tail), 1, (prefix, pack_double(1.0), tail)
            )

    # -- metadata and eviction ----------------------------------------------------------

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

    def _release(self, state: PlanState, group: Group) -> None:
        self._owners.release(group, group.series_keys(state))


def _points(metric: Any) -> int:
    """How many points a metric that cannot be encoded held (1 if even that is unreadable)."""
    try:
        return len(metric.data.data_points)
    except Exception:
        return 1
