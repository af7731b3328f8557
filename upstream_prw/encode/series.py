"""Pre-encoded label sets, built once per series and reused at every collection.

A group is everything one OpenTelemetry point becomes: one series for a gauge or counter,
`le` buckets plus `_sum` and `_count` for a histogram. A gauge or counter keeps its series
encoded up to the sample's value. A histogram keeps its labels once, as the three runs
around `__name__` and `le`; its series are assembled from those at every collection, which
keeps the cache to one copy of the labels per point rather than one per bucket.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from upstream_prw.encode.lru import LRU
from upstream_prw.encode.wire import label_bytes, label_count, varint
from upstream_prw.translate.plan import Context, Kind, MetricPlan

__all__ = [
    "BucketGroup",
    "BucketLayout",
    "Group",
    "PlanState",
    "SeriesGroup",
    "labels_of",
    "series_prefix",
    "shard_of",
]

# TimeSeries.samples (field 2) of each length a sample can have, then the tag of its double
_SAMPLE_HEADERS = tuple(b"\x12" + bytes((n,)) + b"\x09" for n in range(128))


def series_prefix(encoded_labels: bytes, sample_len: int) -> bytes:
    """Bytes of a one-sample TimeSeries entry up to the sample's double value."""
    entry_len = len(encoded_labels) + 2 + sample_len
    return b"".join((b"\x0a", varint(entry_len), encoded_labels, _SAMPLE_HEADERS[sample_len]))


def labels_of(prefix: bytes) -> bytes:
    """The encoded labels inside a `series_prefix`."""
    start = 1
    while prefix[start] & 0x80:
        start += 1
    return prefix[start + 1 : -3]


class Group:
    """The bookkeeping shared by every kind of group."""

    __slots__ = ("delta", "last_gen", "last_ms", "origin", "refused", "seen", "shard")

    def __init__(self, shard: int, origin: str) -> None:
        self.shard = shard
        self.origin = origin  # the OpenTelemetry metric the series come from
        self.seen = 0  # generation of the last export that carried this point
        # When the general loop last sent this point's series, and in which export; the fast
        # path notes its one timestamp on the PlanState instead (see `PlanState.sent_ms`).
        self.last_gen = self.last_ms = 0
        self.delta: Any = None  # delta accumulation state
        # Why its points are not sent, if they are not: another metric owns its series, or
        # it has more labels than the backend takes. Checked once, when the group is made.
        self.refused = ""

    def series_keys(self, state: PlanState) -> tuple[int, ...]:
        """What identifies its series among all series (see `owners.SeriesOwners`); for a
        histogram, its `_sum` and `_count` series stand for the rest."""
        raise NotImplementedError

    def most_labels(self, state: PlanState) -> int:
        """The number of labels of its series with the most (`__name__` included)."""
        raise NotImplementedError


class SeriesGroup(Group):
    """A gauge, counter or native histogram point: one series, kept as its prefix."""

    __slots__ = ("prefix",)

    def __init__(self, shard: int, origin: str, labels: bytes, sample_len: int) -> None:
        Group.__init__(self, shard, origin)
        self.prefix = series_prefix(labels, sample_len)

    @property
    def labels(self) -> bytes:
        return labels_of(self.prefix)

    def prefix_for(self, sample_len: int) -> bytes:
        """The prefix for samples of this length (a timestamp of another width)."""
        if self.prefix[-2] != sample_len:
            self.prefix = series_prefix(self.labels, sample_len)
        return self.prefix

    def series_keys(self, state: PlanState) -> tuple[int, ...]:
        return (hash(self.labels),)

    def most_labels(self, state: PlanState) -> int:
        return label_count(self.labels)


class BucketGroup(Group):
    """A histogram or summary point: its labels before `__name__`, between it and
    `le`/`quantile`, and after it followed by the sample header (as a prefix ends);
    `layout` is the bucket layout of its last point."""

    __slots__ = ("after", "before", "between", "layout")

    def __init__(self, shard: int, origin: str, segments: Sequence[bytes], sample_len: int) -> None:
        Group.__init__(self, shard, origin)
        self.before, self.between, after = segments
        self.after = after + _SAMPLE_HEADERS[sample_len]
        self.layout: BucketLayout | None = None

    def after_for(self, sample_len: int) -> bytes:
        if self.after[-2] != sample_len:
            self.after = self.after[:-3] + _SAMPLE_HEADERS[sample_len]
        return self.after

    def body(self, name: bytes, extra: bytes = b"") -> bytes:
        """The encoded labels of one of its series."""
        return self.before + name + self.between + extra + self.after[:-3]

    def series_keys(self, state: PlanState) -> tuple[int, ...]:
        return tuple(hash(self.body(name)) for name in state.totals)

    def most_labels(self, state: PlanState) -> int:
        return label_count(self.body(state.bucket_name)) + 1  # and `le` or `quantile`


def shard_of(encoded_labels: bytes, num_shards: int) -> int:
    return zlib.crc32(encoded_labels) % num_shards


class BucketLayout:
    """The series of a histogram (or summary) point for one set of bounds (or quantiles):
    the `__name__` and `le` labels of each, and entry templates by label length."""

    __slots__ = ("extras", "last", "names", "rows", "templates")

    def __init__(
        self, names: tuple[bytes, ...], extras: tuple[bytes, ...], max_templates: int = 256
    ) -> None:
        self.names = names  # per series: bucket (or quantile) series, then _sum and _count
        self.extras = extras  # per series: the encoded `le`/`quantile` label, b"" for the last two
        self.rows = len(names)
        self.templates: LRU[Any, list[bytes]] = LRU(max_templates)
        self.last: tuple[Any, list[bytes]] = (None, [])  # the most recently used template

    def template(self, before: bytes, labels_len: int, sample_len: int) -> list[bytes]:
        """Six parts per series: entry header with the labels up to `__name__` and the
        name, the labels between it and `le`, `le`, the labels after it with the sample
        header, the value, the timestamp. A group's labels, values and timestamp are
        filled in by stepping through the list, six parts at a time."""
        key: Any = labels_len << 8 | sample_len
        if before:
            key = (before, key)
        last_key, parts = self.last
        if key == last_key:  # runs per point; neighbours mostly share one (it is the newest)
            return parts
        templates = self.templates.entries  # the LRU's get, inlined
        try:
            parts = templates[key]
        except KeyError:
            parts = []
            for name, extra in zip(self.names, self.extras, strict=True):
                entry_len = labels_len + len(name) + len(extra) + 2 + sample_len
                parts += (b"\x0a" + varint(entry_len) + before + name, b"", extra, b"", b"", b"")
            self.templates.put(key, parts)
        else:
            templates.move_to_end(key)
        self.last = (key, parts)
        return parts


class PlanState:
    """Per-metric encodings shared by all its groups, and the counts that tell whether any
    of its series went missing since the metric's previous export."""

    __slots__ = (
        "batches",
        "before",
        "bucket_name",
        "count_name",
        "family",
        "fast_ms",
        "gen",
        "groups",
        "kept",
        "last_bounds",
        "last_groups",
        "last_layout",
        "layouts",
        "marked",
        "max_templates",
        "plan",
        "prev",
        "series_name",
        "sum_name",
        "totals",
    )

    def __init__(self, plan: MetricPlan, max_layouts: int = 64, max_templates: int = 256) -> None:
        self.plan = plan
        # What staleness is judged by: the metric's resource, scope and name. A series goes
        # stale when its family is exported again without it (another unit, say, is another
        # plan of the same family).
        self.family: tuple[Context, str] = (plan.context, plan.otel_name)
        self.groups: dict[Any, Group] = {}
        self.layouts: LRU[tuple[float, ...], BucketLayout] = LRU(max_layouts)
        self.max_templates = max_templates
        self.last_bounds: Any = None
        self.last_layout: BucketLayout | None = None
        self.last_groups: list[Group] = []  # in the order of the last export's points
        self.batches: Any = None  # how those points' series go to shards, once worked out
        self.series_name = label_bytes("__name__", plan.name)
        bucket = plan.name + "_bucket" if plan.kind is Kind.HISTOGRAM else plan.name
        self.bucket_name = label_bytes("__name__", bucket)
        self.sum_name = label_bytes("__name__", plan.name + "_sum")
        self.count_name = label_bytes("__name__", plan.name + "_count")
        self.totals = (self.sum_name, self.count_name)
        # Groups marked in generation `gen`, how many of them were marked in `prev` (the
        # metric's export before that) too, and how many were marked in `prev`.
        self.gen = self.prev = self.marked = self.kept = self.before = 0
        self.fast_ms = (0, 0)  # (generation, timestamp) of the fast path's last metric

    def sent_ms(self, group: Group) -> int:
        """The timestamp `group`'s series last got in this export (the group is marked seen
        in it): noted on the group by the general loop, on the state by the fast path."""
        return group.last_ms if group.last_gen == group.seen else self.fast_ms[1]

    def start(self, gen: int) -> None:
        """Called before marking groups in `gen`: the metric's last export becomes `prev`."""
        if self.gen != gen:
            self.prev, self.before = self.gen, self.marked
            self.gen, self.marked, self.kept = gen, 0, 0

    def lost_series(self, gen: int) -> bool:
        """Whether some group marked in `prev` was not marked in `gen` (after `start(gen)`)."""
        return self.gen == gen and self.kept < self.before

    def layout(self, point: Any) -> BucketLayout:
        """The series layout of a histogram or summary point (shared, cached by bounds)."""
        plan = self.plan
        histogram = plan.kind is Kind.HISTOGRAM
        if histogram:
            bounds = point.explicit_bounds
            if bounds is self.last_bounds and self.last_layout is not None:
                return self.last_layout  # the SDK hands every point the same sequence
            key = tuple(bounds)
        else:
            bounds = key = tuple(q.quantile for q in point.quantile_values)
        layout = self.layouts.get(key)
        if layout is None:
            series = plan.bucket_layout(key) if histogram else plan.quantile_layout(key)
            n = len(series) - 2
            layout = BucketLayout(
                (*[self.bucket_name] * n, self.sum_name, self.count_name),
                (
                    *[label_bytes(plan.reserved, e) for _, e in series[:n] if e is not None],
                    b"",
                    b"",
                ),
                self.max_templates,
            )
            self.layouts.put(key, layout)
        self.last_bounds, self.last_layout = bounds, layout
        return layout
