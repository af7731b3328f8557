"""Label sets from attributes, resources and scopes (pure).

Precedence, lowest first, as the Collector builds them: resource attributes (only with
resource_to_telemetry_conversion), point attributes, `job`/`instance`, scope labels, then
external labels where the series lacks them. The metric name and `le`/`quantile` are set by
the series itself and always win.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from upstream_prw.translate.naming import label_name, label_value

__all__ = [
    "Labels",
    "ResourceLabels",
    "attribute_labels",
    "resource_labels",
    "scope_labels",
]

Labels = tuple[tuple[str, str], ...]

_SERVICE_NAME = "service.name"
_SERVICE_NAMESPACE = "service.namespace"
_SERVICE_INSTANCE_ID = "service.instance.id"
_IDENTIFYING = frozenset({_SERVICE_NAME, _SERVICE_NAMESPACE, _SERVICE_INSTANCE_ID})
_METRIC_NAME = "__name__"
_SCOPE_PREFIX = "otel_scope_"
_SCOPE_FIELDS = ("otel_scope_name", "otel_scope_version", "otel_scope_schema_url")


def attribute_labels(
    attributes: Mapping[str, object] | None, prefix: str = "", utf8: bool = False
) -> dict[str, str]:
    """Sanitised labels; keys that collide after sanitising are joined with `;`.

    Values are joined in the order of the sorted original keys; empty values and keys are
    dropped, so no label is ever empty. `prefix` goes before each key is sanitised (scope
    attributes: `otel_scope_`). `__name__` is the series' own and never an attribute's.
    """
    out: dict[str, str] = {}
    if not attributes:
        return out
    for key in sorted(attributes):
        name = label_name(prefix + key if prefix else key, utf8)
        value = label_value(attributes[key])
        if not name or not value or name == _METRIC_NAME:
            continue
        previous = out.get(name)
        out[name] = value if previous is None else f"{previous};{value}"
    return out


@dataclass(frozen=True, slots=True, eq=False)
class ResourceLabels:
    """What one resource contributes: identity labels, converted labels, target_info labels."""

    identity: Labels
    converted: Labels
    info: Labels | None


def resource_labels(
    attributes: Mapping[str, object] | None,
    promotes: Callable[[str], bool] | None = None,
    utf8: bool = False,
) -> ResourceLabels:
    """`job` = namespace/name (or name), `instance` = instance id; the rest is target_info.
    The attributes `promotes` names are also labels of every series (`converted`)."""
    attributes = attributes or {}
    identity: dict[str, str] = {}
    name = label_value(attributes.get(_SERVICE_NAME, ""))
    namespace = label_value(attributes.get(_SERVICE_NAMESPACE, ""))
    if name:
        identity["job"] = f"{namespace}/{name}" if namespace else name
    instance = label_value(attributes.get(_SERVICE_INSTANCE_ID, ""))
    if instance:
        identity["instance"] = instance
    promoted = {k: v for k, v in attributes.items() if promotes is not None and promotes(k)}
    others = {k: v for k, v in attributes.items() if k not in _IDENTIFYING}
    info: Labels | None = None
    if others:
        info_labels = attribute_labels(others, utf8=utf8)
        info_labels.update(identity)
        info = tuple(sorted(info_labels.items())) if info_labels else None
    return ResourceLabels(
        identity=tuple(sorted(identity.items())),
        converted=tuple(sorted(attribute_labels(promoted, utf8=utf8).items())),
        info=info,
    )


def scope_labels(
    name: str,
    version: str | None,
    attributes: Mapping[str, object] | None,
    schema_url: str | None = None,
    utf8: bool = False,
) -> Labels:
    """`otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url`, and an
    `otel_scope_<key>` per scope attribute; an attribute whose label would be one of the
    first three is dropped, so it can never stand in for the real value (spec:
    Instrumentation Scope)."""
    out = attribute_labels(attributes, _SCOPE_PREFIX, utf8)
    for field in _SCOPE_FIELDS:
        out.pop(field, None)
    for field, value in zip(_SCOPE_FIELDS, (name, version, schema_url), strict=True):
        if value:
            out[field] = label_value(value)
    return tuple(sorted(out.items()))
