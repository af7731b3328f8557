"""The translator's own settings: naming and labelling only, never HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["TranslationSettings"]


@dataclass(frozen=True, kw_only=True)
class TranslationSettings:
    """How OpenTelemetry metrics become Prometheus series.

    Defaults follow the OpenTelemetry Collector's `prometheusremotewrite` exporter.
    """

    namespace: str = ""
    add_metric_suffixes: bool = True
    resource_to_telemetry_conversion: bool = False
    target_info: bool = True
    add_scope_labels: bool = True
    send_metadata: bool = False
    external_labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
