"""Values that cross the translator's boundary: series out, drop reports, summary input."""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from upstream_prw.errors import UntranslatableError
from upstream_prw.translate.labels import Labels
from upstream_prw.translate.naming import metric_name, utf8_metric_name, valid_utf8
from upstream_prw.translate.native import NativeHistogram
from upstream_prw.translate.settings import TranslationSettings

__all__ = [
    "BAD_TIMESTAMP",
    "MAX_TIMESTAMP_MS",
    "NOT_LATER",
    "STALE_NAN",
    "STALE_NAN_BITS",
    "TOO_LARGE",
    "Dropped",
    "ExemplarOut",
    "Series",
    "Summary",
    "SummaryDataPoint",
    "ValueAtQuantile",
    "failure_reason",
    "is_stale",
    "series_labels",
    "target_info_labels",
    "target_info_name",
]

STALE_NAN_BITS = 0x7FF0000000000002
# The Prometheus stale marker: a NaN with a payload that no computation produces.
STALE_NAN: float = struct.unpack("<d", struct.pack("<Q", STALE_NAN_BITS))[0]


def is_stale(value: float) -> bool:
    """Whether `value` is the stale marker (an ordinary NaN is not)."""
    return math.isnan(value) and struct.unpack("<Q", struct.pack("<d", value))[0] == STALE_NAN_BITS


NOT_LATER = "another point of the same series in this export is as late or later"
"""Why a repeated point is dropped: a series' samples only ever move forward."""

MAX_TIMESTAMP_MS = (1 << 63) - 1
"""Remote write carries timestamps as int64 milliseconds."""

BAD_TIMESTAMP = "its timestamp is negative or beyond the int64 range of milliseconds"
"""Why a point whose timestamp remote write cannot carry is dropped."""

TOO_LARGE = "a value is beyond the range of a 64-bit float"
"""Why a point is dropped whose value (or sum, count, bucket) no double can hold."""


def failure_reason(exc: BaseException) -> str:
    """Why a point or metric that raised while being translated is dropped: the error's
    own words for the failures we expect, its type and (shortened) message otherwise."""
    if isinstance(exc, UntranslatableError):
        return valid_utf8(str(exc))
    if isinstance(exc, OverflowError):
        return TOO_LARGE
    try:
        message = valid_utf8(str(exc))
    except Exception:  # an error whose message cannot even be read
        message = ""
    if len(message) > 200:
        message = message[:200] + "..."
    kind = type(exc).__name__
    return (
        f"could not be translated: {kind}: {message}"
        if message
        else f"could not be translated: {kind}"
    )


@dataclass(frozen=True, slots=True)
class Dropped:
    """Points of one metric that could not be translated, and why."""

    metric: str
    reason: str
    points: int = 1


@dataclass(frozen=True, slots=True)
class ExemplarOut:
    labels: Labels
    value: float
    timestamp_ms: int


@dataclass(slots=True)
class Series:
    """One Prometheus series with its samples (or native histograms) in time order."""

    labels: Labels
    samples: list[tuple[float, int]] = field(default_factory=list)
    histograms: list[NativeHistogram] = field(default_factory=list)
    exemplars: list[ExemplarOut] = field(default_factory=list)


# Summaries do not come out of the Python SDK; these mirror OTLP's shape so that data
# bridged from OTLP can be exported too.
@dataclass(frozen=True, slots=True)
class ValueAtQuantile:
    quantile: float
    value: float


@dataclass(frozen=True, slots=True)
class SummaryDataPoint:
    attributes: Mapping[str, object]
    start_time_unix_nano: int
    time_unix_nano: int
    count: int
    sum: float
    quantile_values: Sequence[ValueAtQuantile] = ()
    flags: int = 0


@dataclass(frozen=True, slots=True)
class Summary:
    data_points: Sequence[SummaryDataPoint]


def target_info_name(settings: TranslationSettings) -> str:
    """`target_info`, after the namespace made valid as metric names make it."""
    namer = utf8_metric_name if settings.utf8_names else metric_name
    return namer("target_info", "", namespace=settings.namespace, add_suffixes=False)


def target_info_labels(info: Labels, settings: TranslationSettings, name: str) -> Labels:
    """A resource's `target_info` series: its labels, the external labels it lacks (they go
    on every series this exporter sends), and its name."""
    labels = dict(info)
    for key, value in settings.external_labels.items():
        labels.setdefault(valid_utf8(key), valid_utf8(value))
    labels["__name__"] = name
    return tuple(sorted(labels.items()))


def series_labels(base: Labels, name: str, extra: tuple[str, str] | None) -> Labels:
    """The full sorted label set: base labels plus `__name__` and `le`/`quantile`."""
    labels = [*base, ("__name__", name)]
    if extra is not None:
        labels.append(extra)
    return tuple(sorted(labels))
