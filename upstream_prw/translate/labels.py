"""Label sets from attributes, resources and scopes (pure).

Precedence, lowest first, as the Collector builds them: resource attributes (only with
resource_to_telemetry_conversion), point attributes, `job`/`instance`, scope labels, then
external labels where the series lacks them. The metric name and `le`/`quantile` are set by
the series itself and always win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from upstream_prw.translate.naming import label_value, sanitize_label_name

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


def attribute_labels(attributes: Mapping[str, object] | None) -> dict[str, str]:
    """Sanitised labels; keys that collide after sanitising are joined with `;`.

    Values are joined in the order of the sorted original keys; empty values and keys are
    dropped, so no label is ever empty.
    """
    out: dict[str, str] = {}
    if not attributes:
        return out
    for key in sorted(attributes):
        name = sanitize_label_name(key)
        value = label_value(attributes[key])
        if not name or not value:
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


def resource_labels(attributes: Mapping[str, object] | None) -> ResourceLabels:
    """`job` = namespace/name (or name), `instance` = instance id; the rest is target_info."""
    attributes = attributes or {}
    identity: dict[str, str] = {}
    name = label_value(attributes.get(_SERVICE_NAME, ""))
    namespace = label_value(attributes.get(_SERVICE_NAMESPACE, ""))
    if name:
        identity["job"] = f"{namespace}/{name}" if namespace else name
    instance = label_value(attributes.get(_SERVICE_INSTANCE_ID, ""))
    if instance:
        identity["instance"] = instance
    others = {k: v for k, v in attributes.items() if k not in _IDENTIFYING}
    info: Labels | None = None
    if others:
        info_labels = attribute_labels(others)
        info_labels.update(identity)
        info = tuple(sorted(info_labels.items())) if info_labels else None
    return ResourceLabels(
        identity=tuple(sorted(identity.items())),
        converted=tuple(sorted(attribute_labels(attributes).items())),
        info=info,
    )


def scope_labels(name: str, version: str | None, attributes: Mapping[str, object] | None) -> Labels:
    """`otel_scope_name`, `otel_scope_version` and `otel_scope_<key>` for scope attributes."""
    out = {f"otel_scope_{k}": v for k, v in attribute_labels(attributes).items()}
    if name:
        out["otel_scope_name"] = label_value(name)
    if version:
        out["otel_scope_version"] = label_value(version)
    return tuple(sorted(out.items()))
