"""Traversal of MetricsData with plans cached across collections, and bounded."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from upstream_prw.translate.labels import ResourceLabels, resource_labels, scope_labels
from upstream_prw.translate.model import failure_reason
from upstream_prw.translate.naming import valid_utf8
from upstream_prw.translate.plan import Context, MetricPlan, make_context, plan_metric
from upstream_prw.translate.settings import TranslationSettings

__all__ = ["PlanCache", "attributes_key", "reported_name"]

_UNREADABLE = ResourceLabels((), (), None)  # stands in for a resource that failed


def reported_name(metric: Any) -> str:
    """A metric's name as reports give it: valid text, and never an error of its own."""
    try:
        name = metric.name
    except Exception:
        return ""
    return valid_utf8(name) if isinstance(name, str) else ""


def attributes_key(attributes: Mapping[str, object] | None) -> Hashable:
    """A hashable identity for an attribute set (cheap when values are scalars)."""
    if not attributes:
        return ()
    key = tuple(attributes.items())
    try:
        hash(key)
    except TypeError:  # sequence values
        return tuple((k, repr(v)) for k, v in attributes.items())
    return key


class PlanCache:
    """Resource, scope and metric plans, reused while their inputs recur.

    Call `next_generation()` once per export; entries unused for `max_idle` generations
    are dropped by `evict()`.
    """

    def __init__(self, settings: TranslationSettings, *, max_idle: int = 5) -> None:
        self.settings = settings
        self.max_idle = max_idle
        self.generation = 0
        self._resources: dict[Hashable, list[Any]] = {}
        self._contexts: dict[Hashable, list[Any]] = {}
        self._metrics: dict[Hashable, list[Any]] = {}

    def __len__(self) -> int:
        return len(self._metrics)

    def next_generation(self) -> int:
        self.generation += 1
        return self.generation

    def walk(self, metrics_data: Any) -> Iterator[tuple[ResourceLabels, MetricPlan | str, Any]]:
        """Yield (resource labels, plan or reason it cannot be translated, metric).

        A resource, scope or metric that raises is a reason for its metrics, not the end
        of the walk: the rest of the export is still translated."""
        for rm in metrics_data.resource_metrics:
            resource, broken = _UNREADABLE, ""
            try:
                resource = self._resource(rm.resource)
            except Exception as exc:
                broken = "its resource " + failure_reason(exc)
            for sm in rm.scope_metrics:
                context, failed = None, broken
                if not failed:
                    try:
                        context = self._context(resource, sm.scope)
                    except Exception as exc:
                        failed = "its scope " + failure_reason(exc)
                for metric in sm.metrics:
                    plan: MetricPlan | tuple[MetricPlan, MetricPlan] | str = failed
                    if context is not None:
                        try:
                            plan = self._metric(context, metric)
                        except Exception as exc:
                            plan = failure_reason(exc)
                    if isinstance(plan, tuple):
                        for each in plan:
                            yield resource, each, metric
                    else:
                        yield resource, plan, metric

    def evict(self) -> list[MetricPlan]:
        """Drop idle entries; return the metric plans dropped (their series go with them)."""
        oldest = self.generation - self.max_idle
        dropped: list[MetricPlan] = []
        for cache in (self._resources, self._contexts, self._metrics):
            for key in [k for k, entry in cache.items() if entry[1] < oldest]:
                value = cache.pop(key)[0]
                if isinstance(value, MetricPlan):
                    dropped.append(value)
                elif isinstance(value, tuple):
                    dropped.extend(value)
        return dropped

    def _get(self, cache: dict[Hashable, list[Any]], key: Hashable) -> Any:
        entry = cache.get(key)
        if entry is None:
            return None
        entry[1] = self.generation
        return entry[0]

    def _resource(self, resource: Any) -> ResourceLabels:
        attributes = getattr(resource, "attributes", None)
        key = attributes_key(attributes)
        value = self._get(self._resources, key)
        if value is None:
            value = resource_labels(attributes, self.settings.promotes, self.settings.utf8_names)
            self._resources[key] = [value, self.generation]
        return value  # type: ignore[no-any-return]

    def _context(self, resource: ResourceLabels, scope: Any) -> Context:
        name = getattr(scope, "name", "") or ""
        version = getattr(scope, "version", None)
        attributes = getattr(scope, "attributes", None)
        schema_url = getattr(scope, "schema_url", None)
        key = (resource, name, version, schema_url, attributes_key(attributes))
        value = self._get(self._contexts, key)
        if value is None:
            labels = scope_labels(name, version, attributes, schema_url, self.settings.utf8_names)
            value = make_context(resource, labels, self.settings)
            self._contexts[key] = [value, self.generation]
        return value  # type: ignore[no-any-return]

    def _metric(
        self, context: Context, metric: Any
    ) -> MetricPlan | tuple[MetricPlan, MetricPlan] | str:
        data = metric.data
        key = (
            context,
            metric.name,
            metric.unit,
            metric.description,
            type(data),
            getattr(data, "is_monotonic", None),
            getattr(data, "aggregation_temporality", None),
        )
        value = self._get(self._metrics, key)
        if value is None:
            value = plan_metric(metric, context, self.settings)
            self._metrics[key] = [value, self.generation]
        return value  # type: ignore[no-any-return]
