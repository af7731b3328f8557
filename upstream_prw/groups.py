"""Pre-encoded label sets, built once per series and reused at every collection.

A group is everything one OpenTelemetry point becomes: one series for a gauge or counter,
`le` buckets plus `_sum` and `_count` for a histogram. Histogram groups keep their labels
as the segments around `le` rather than one copy per bucket, which keeps the cache small.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from upstream_prw.translate.labels import Labels
from upstream_prw.translate.plan import Kind, MetricPlan
from upstream_prw.translate.series import series_labels
from upstream_prw.wire import label_bytes, labels_bytes, varint

__all__ = ["Group", "PlanState", "new_group", "series_prefix"]


def series_prefix(encoded_labels: bytes, sample_len: int) -> bytes:
    """Bytes of a one-sample TimeSeries entry up to the sample's double value."""
    entry_len = len(encoded_labels) + 2 + sample_len
    return b"\x0a" + varint(entry_len) + encoded_labels + b"\x12" + bytes((sample_len,)) + b"\x09"


@dataclass(slots=True, eq=False)
class Group:
    """The cached encodings of the series one point produces, and their bookkeeping."""

    kind: Kind
    shard: int
    labels: bytes  # full label set: gauges, counters, native histograms
    pre: bytes = b""  # histogram/summary bucket series: labels before `le`/`quantile`
    post: bytes = b""  # ... and after it
    sum_labels: bytes = b""
    count_labels: bytes = b""
    extras: tuple[bytes, ...] = ()  # encoded `le`/`quantile` label per bucket series
    prefixes: tuple[bytes, ...] = ()  # single series, or `_sum` and `_count`
    bucket_len: int = 0  # bucket entry length less its `le`/`quantile` label
    sample_len: int = 0
    seen: int = 0  # generation of the last export that carried this point
    delta: Any = None  # delta accumulation state
    keys: tuple[int, ...] = ()  # registry keys that detect other metrics' identical series
    shadowed_by: str = ""  # metric name that already owns these series

    def prefixes_for(self, sample_len: int) -> tuple[bytes, ...]:
        """Prefixes (labels + sample header) of the series cached whole, for this length.

        Bucket series are not cached whole: they are assembled from `pre`, the shared
        `le` label and `post` at encoding time, which keeps histograms' cache small.
        """
        if sample_len != self.sample_len:
            if self.kind in (Kind.HISTOGRAM, Kind.SUMMARY):
                bodies = [self.sum_labels, self.count_labels]
                self.bucket_len = len(self.pre) + len(self.post) + 2 + sample_len
            else:
                bodies = [self.labels]
            self.prefixes = tuple(series_prefix(b, sample_len) for b in bodies)
            self.sample_len = sample_len
        return self.prefixes


@dataclass(slots=True, eq=False)
class PlanState:
    """Per-metric encodings shared by all its groups."""

    plan: MetricPlan
    groups: dict[Any, Group] = field(default_factory=dict)
    extras_cache: dict[tuple[float, ...], tuple[bytes, ...]] = field(default_factory=dict)
    last_bounds: Any = None
    last_extras: tuple[bytes, ...] = ()

    def extras_for(self, layout: tuple[tuple[str, str | None], ...]) -> tuple[bytes, ...]:
        """Encoded `le`/`quantile` labels of the bucket series in a layout (shared)."""
        reserved = self.plan.reserved
        return tuple(label_bytes(reserved, e) for _, e in layout if e is not None)


def new_group(plan: MetricPlan, base: Labels, extras: tuple[bytes, ...], num_shards: int) -> Group:
    """Encode the series of a new point from its base labels (everything but name and le)."""
    kind = plan.kind
    if kind in (Kind.HISTOGRAM, Kind.SUMMARY):
        bucket_name = plan.name + "_bucket" if kind == Kind.HISTOGRAM else plan.name
        names = [n for n, _ in base]
        at_name = bisect_left(names, "__name__")
        at_extra = bisect_left(names, plan.reserved)
        seg0 = labels_bytes(base[:at_name])
        seg1 = labels_bytes(base[at_name:at_extra])
        seg2 = labels_bytes(base[at_extra:])
        pre = seg0 + label_bytes("__name__", bucket_name) + seg1
        group = Group(
            kind=kind,
            shard=zlib.crc32(pre + seg2) % num_shards,
            labels=b"",
            pre=pre,
            post=seg2,
            sum_labels=labels_bytes(series_labels(base, plan.name + "_sum", None)),
            count_labels=labels_bytes(series_labels(base, plan.name + "_count", None)),
            extras=extras,
        )
    else:
        encoded = labels_bytes(series_labels(base, plan.name, None))
        group = Group(kind=kind, shard=zlib.crc32(encoded) % num_shards, labels=encoded)
    return group
