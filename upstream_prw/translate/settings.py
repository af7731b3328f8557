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
    utf8_names: bool = False  # names as written (Remote Write 2.0), not escaped to `_`
    # Resource attributes on every series: all of them (but the ignored ones), or those named
    resource_to_telemetry_conversion: bool = False
    promoted_resource_attributes: frozenset[str] = frozenset()
    ignored_resource_attributes: frozenset[str] = frozenset()
    target_info: bool = True
    add_scope_labels: bool = True
    send_metadata: bool = False
    external_labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Histograms: exponential ones as native (else as classic, in at most this many buckets);
    # explicit-bucket ones as native histograms with custom buckets (NHCB), classic kept too?
    native_histograms: bool = True
    classic_bucket_limit: int = 40
    nhcb: bool = False
    keep_classic_histograms: bool = False
    # What the backend takes (0: no limit): labels on a series, bytes of HELP text
    max_labels_per_series: int = 0
    max_help_bytes: int = 0

    def promotes(self, key: str) -> bool:
        """Whether the resource attribute `key` becomes a label of every series."""
        if self.resource_to_telemetry_conversion:
            return key not in self.ignored_resource_attributes
        return key in self.promoted_resource_attributes
