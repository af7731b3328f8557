"""The straightforward translation: MetricsData → a list of Series, label dicts and all.

This is the readable statement of what reaches the wire. The encoder's fast path produces
the same series from cached, pre-encoded labels; tests hold the two to the same output. A
point whose timestamp, labels or values remote write cannot carry is dropped and reported
alone, before any of its series is sent; a metric that cannot be read, whole.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from upstream_prw.translate.classic import classic_points
from upstream_prw.translate.delta import DeltaState, fold_delta
from upstream_prw.translate.labels import Labels
from upstream_prw.translate.model import (
    BAD_TIMESTAMP,
    MAX_TIMESTAMP_MS,
    NOT_LATER,
    STALE_NAN,
    Dropped,
    ExemplarOut,
    Series,
    failure_reason,
    series_labels,
    target_info_labels,
    target_info_name,
)
from upstream_prw.translate.plan import STARTED_KINDS, Kind, MetricPlan
from upstream_prw.translate.plans import PlanCache, attributes_key, reported_name
from upstream_prw.translate.points import (
    bucket_index,
    exemplar_out,
    histogram_values,
    native_histogram,
    nhcb_histogram,
    no_recorded_value,
    point_start_ms,
    summary_values,
)
from upstream_prw.translate.settings import TranslationSettings

__all__ = ["Metadata", "Translation", "translate"]

Metadata = tuple[int, str, str, str]  # (type, family name, help, unit)


@dataclass(slots=True)
class Translation:
    series: list[Series] = field(default_factory=list)
    metadata: list[Metadata] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    # Remote Write 2.0 only: each series' start timestamps (one per sample or histogram,
    # 0 for none), and the metadata of each series name, the first metric's
    starts: dict[Labels, list[int]] = field(default_factory=dict)
    catalog: dict[str, tuple[int, str, str]] = field(default_factory=dict)


def point_layout(
    plan: MetricPlan, point: Any
) -> tuple[tuple[tuple[str, str | None], ...], list[float] | None]:
    """Each series' (name, le/quantile value) for one point, with the values they carry."""
    if plan.kind == Kind.HISTOGRAM:
        return plan.bucket_layout(tuple(point.explicit_bounds)), histogram_values(point)
    if plan.kind == Kind.SUMMARY:
        quantiles = tuple(q.quantile for q in point.quantile_values)
        return plan.quantile_layout(quantiles), summary_values(point)
    return ((plan.name, None),), None


def _catalog(out: Translation, plan: MetricPlan) -> None:
    for name in plan.series_names:
        out.catalog.setdefault(name, (plan.metadata_type, plan.help, plan.unit))


def translate(
    metrics_data: Any,
    settings: TranslationSettings,
    delta_states: dict[Hashable, DeltaState] | None = None,
    *,
    v2: bool = False,
) -> Translation:
    """Translate one export; `delta_states` carries delta accumulation between calls.
    `v2`: note start timestamps and the metadata of every series name, as 2.0 sends them."""
    states = {} if delta_states is None else delta_states
    out = Translation()
    by_labels: dict[Labels, tuple[Hashable, Series]] = {}
    info_times: dict[Labels, int] = {}
    families: set[str] = set()
    last_ts: dict[Hashable, int] = {}
    plans = PlanCache(settings)
    for resource, plan, metric in plans.walk(metrics_data):
        if isinstance(plan, str):
            out.dropped.append(Dropped(reported_name(metric), plan, _count(metric)))
            continue
        repeats_from = len(out.dropped) if plan.companion else None
        try:
            points = metric.data.data_points
            if plan.classic_buckets:
                points = classic_points(points, plan.classic_buckets, plan.otel_name, out.dropped)
        except Exception as exc:  # a metric that cannot be read is dropped whole
            out.dropped.append(Dropped(plan.otel_name, failure_reason(exc), 1))
            _forget_repeats(out.dropped, repeats_from)
            continue
        name = plan.otel_name
        _catalog(out, plan)
        if settings.send_metadata and plan.name not in families:
            families.add(plan.name)
            out.metadata.append((plan.metadata_type, plan.name, plan.help, plan.unit))
        reserved = plan.reserved
        for point in points:
            origin = (plan.kind, plan.name, plan.context, attributes_key(point.attributes))
            ts = point.time_unix_nano // 1_000_000
            if not 0 <= ts <= MAX_TIMESTAMP_MS:  # remote write has int64 milliseconds
                out.dropped.append(Dropped(name, BAD_TIMESTAMP))
                continue
            if resource.info is not None and settings.target_info:
                info_times[resource.info] = max(ts, info_times.get(resource.info, ts))
            if ts <= last_ts.get(origin, -1):  # a series' samples only ever move forward
                out.dropped.append(Dropped(name, NOT_LATER))
                continue
            last_ts[origin] = ts
            try:  # labels and values must all be sound before any of the point's series is sent
                base = plan.context.labels(point.attributes, reserved)
                if plan.delta:  # by labels: contexts are new objects at every call
                    series_key = (plan.kind, plan.name, base)
                    states[series_key], point = fold_delta(states.get(series_key), point)
                layout, values = point_layout(plan, point)
                native = None
                if plan.kind == Kind.NATIVE:
                    native = native_histogram(point, ts)
                elif plan.kind == Kind.NHCB:
                    native = nhcb_histogram(point, ts)
                number = _number(point) if values is None and native is None else 0.0
                exemplars = _exemplars(plan, point)
                start = point_start_ms(point, ts) if v2 and plan.kind in STARTED_KINDS else 0
            except Exception as exc:
                out.dropped.append(Dropped(name, failure_reason(exc)))
                continue
            for i, (series_name, extra_value) in enumerate(layout):
                extra = None if extra_value is None else (reserved, extra_value)
                labels = series_labels(base, series_name, extra)
                known = by_labels.get(labels)
                if known is not None and known[0] != origin:
                    out.dropped.append(Dropped(name, f"series {dict(labels)} is already produced"))
                    continue
                if known is None:
                    known = (origin, Series(labels))
                    by_labels[labels] = known
                    out.series.append(known[1])
                series = known[1]
                out.starts.setdefault(labels, []).append(start)
                if native is not None:
                    series.histograms.append(native)
                elif values is not None:
                    series.samples.append((values[i], ts))
                else:
                    series.samples.append((number, ts))
            _attach_exemplars(exemplars, layout, base, reserved, by_labels, origin)
        _forget_repeats(out.dropped, repeats_from)  # a companion's points were reported
    info_name = target_info_name(settings)
    out.catalog.setdefault(info_name, (2, "Target metadata", ""))
    for info, ts in info_times.items():
        labels = target_info_labels(info, settings, info_name)
        out.series.append(Series(labels, [(1.0, ts)]))
        out.starts[labels] = [0]
    return out


def _forget_repeats(dropped: list[Dropped], start: int | None) -> None:
    if start is None:
        return
    seen = set(dropped[:start])
    dropped[start:] = [d for d in dropped[start:] if d not in seen]


def _count(metric: Any) -> int:
    try:
        return len(metric.data.data_points)
    except Exception:
        return 1


def _number(point: Any) -> float:
    return STALE_NAN if no_recorded_value(point) else float(point.value)


def _exemplars(plan: MetricPlan, point: Any) -> list[tuple[int, ExemplarOut]]:
    """Each exemplar with the index of the series it goes on."""
    out: list[tuple[int, ExemplarOut]] = []
    if plan.kind == Kind.GAUGE:  # gauges and non-monotonic sums: dropped (spec: Gauges, Sums)
        return out
    for exemplar in getattr(point, "exemplars", None) or ():
        index = 0
        if plan.kind == Kind.HISTOGRAM:
            index = bucket_index(point.explicit_bounds, exemplar.value)
        elif plan.kind == Kind.SUMMARY:
            continue  # Prometheus has no exemplars on summaries
        out.append((index, exemplar_out(exemplar, plan.context.utf8)))
    return out


def _attach_exemplars(
    exemplars: list[tuple[int, ExemplarOut]],
    layout: tuple[tuple[str, str | None], ...],
    base: Labels,
    reserved: str,
    by_labels: dict[Labels, tuple[Hashable, Series]],
    origin: Hashable,
) -> None:
    """Exemplars go on the point's own series only; a point whose series another metric
    already produces was dropped, and its exemplars with it."""
    for index, exemplar in exemplars:
        name, extra_value = layout[index]
        extra = None if extra_value is None else (reserved, extra_value)
        known = by_labels.get(series_labels(base, name, extra))
        if known is not None and known[0] == origin:
            known[1].exemplars.append(exemplar)
