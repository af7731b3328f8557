"""Pre-encoded label sets, built once per series and reused at every collection.

A group is everything one OpenTelemetry point becomes: one series for a gauge or counter,
`le` buckets plus `_sum` and `_count` for a histogram. A gauge or counter keeps its series
encoded up to the sample's value. A histogram keeps its labels once, as the three runs
around `__name__` and `le`; its series are assembled from those at every collection, which
keeps the cache to one copy of the labels per point rather than one per bucket.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from upstream_prw.translate.labels import Labels
from upstream_prw.translate.naming import label_value
from upstream_prw.translate.plan import Kind, MetricPlan
from upstream_prw.translate.series import series_labels
from upstream_prw.wire import label_bytes, labels_bytes, varint

__all__ = [
    "BucketGroup",
    "BucketLayout",
    "Group",
    "LabelTemplate",
    "PlanState",
    "SeriesGroup",
    "compile_runs",
    "general_runs",
    "labels_of",
    "series_prefix",
    "shard_of",
]

_SMALL = tuple(varint(i) for i in range(16384))
_CACHE_LIMIT = 8192  # encoded values kept per label name


def series_prefix(encoded_labels: bytes, sample_len: int) -> bytes:
    """Bytes of a one-sample TimeSeries entry up to the sample's double value."""
    entry_len = len(encoded_labels) + 2 + sample_len
    return b"\x0a" + varint(entry_len) + encoded_labels + _sample_header(sample_len)


def labels_of(prefix: bytes) -> bytes:
    """The encoded labels inside a `series_prefix`."""
    start = 1
    while prefix[start] & 0x80:
        start += 1
    return prefix[start + 1 : -3]


class Group:
    """The bookkeeping shared by every kind of group."""

    __slots__ = ("delta", "origin", "seen", "shadowed_by", "shard")

    def __init__(self, shard: int, origin: str) -> None:
        self.shard = shard
        self.origin = origin  # the OpenTelemetry metric the series come from
        self.seen = 0  # generation of the last export that carried this point
        self.delta: Any = None  # delta accumulation state
        self.shadowed_by = ""  # metric name that already owns these series


class SeriesGroup(Group):
    """A gauge, counter or native histogram point: one series, kept as its prefix."""

    __slots__ = ("prefix",)

    def __init__(self, shard: int, origin: str, labels: bytes, sample_len: int) -> None:
        super().__init__(shard, origin)
        self.prefix = series_prefix(labels, sample_len)

    @property
    def labels(self) -> bytes:
        return labels_of(self.prefix)

    def prefix_for(self, sample_len: int) -> bytes:
        """The prefix for samples of this length (a timestamp of another width)."""
        if self.prefix[-2] != sample_len:
            self.prefix = series_prefix(self.labels, sample_len)
        return self.prefix

    def registry_keys(self, state: Any) -> tuple[int, ...]:
        return (hash(self.labels),)


class BucketGroup(Group):
    """A histogram or summary point: its labels before `__name__`, between it and
    `le`/`quantile`, and after it followed by the sample header (as a prefix ends);
    `layout` is the bucket layout of its last point."""

    __slots__ = ("after", "before", "between", "layout")

    def __init__(self, shard: int, origin: str, segments: Sequence[bytes], sample_len: int) -> None:
        super().__init__(shard, origin)
        self.before, self.between, after = segments
        self.after = after + _sample_header(sample_len)
        self.layout: BucketLayout | None = None

    def after_for(self, sample_len: int) -> bytes:
        if self.after[-2] != sample_len:
            self.after = self.after[:-3] + _sample_header(sample_len)
        return self.after

    def body(self, name: bytes, extra: bytes = b"") -> bytes:
        """The encoded labels of one of its series."""
        return self.before + name + self.between + extra + self.after[:-3]

    def registry_keys(self, state: Any) -> tuple[int, ...]:
        return (hash(self.body(state.sum_name)), hash(self.body(state.count_name)))


def _sample_header(sample_len: int) -> bytes:
    """TimeSeries.samples (field 2) of this length, then the tag of its double."""
    return b"\x12" + bytes((sample_len,)) + b"\x09"


class LabelTemplate:
    """A metric's sorted label runs for one set of attribute keys, with a hole where each
    attribute value goes; constant labels are encoded once, values once per distinct text."""

    __slots__ = ("runs",)

    def __init__(self, runs: tuple[tuple[bytes | _Hole, ...], ...]) -> None:
        self.runs = runs

    def fill(self, values: Sequence[object]) -> list[bytes] | None:
        """The encoded runs for these values; None if a value makes an empty label."""
        out = []
        for run in self.runs:
            parts = []
            for part in run:
                if isinstance(part, _Hole):
                    encoded = part.encode(values[part.index])
                    if encoded is None:
                        return None
                    part = encoded
                parts.append(part)
            out.append(b"".join(parts))
        return out


class _Hole:
    """Where an attribute value goes; remembers how recent values were encoded."""

    __slots__ = ("cache", "index", "name")

    def __init__(self, index: int, name: str, cache: dict[str, bytes]) -> None:
        self.index = index
        self.name = name
        self.cache = cache  # shared by every hole of this label name

    def encode(self, value: object) -> bytes | None:
        text = value if isinstance(value, str) else label_value(value)
        encoded = self.cache.get(text)
        if encoded is None:
            label = label_value(text)  # as the general path: valid UTF-8
            if not label:
                return None
            if len(self.cache) >= _CACHE_LIMIT:
                self.cache.clear()
            encoded = self.cache[text] = label_bytes(self.name, label)
        return encoded


def compile_runs(
    labels: Sequence[tuple[str, str | int]],
    plan: MetricPlan,
    caches: dict[str, dict[str, bytes]],
) -> LabelTemplate:
    """Runs of the series' labels: whole for one series; before `__name__`, between it and
    the reserved label, and after, for bucket series. Integers are attribute holes."""
    if plan.kind in (Kind.HISTOGRAM, Kind.SUMMARY):
        names = [name for name, _ in labels]
        at_name = bisect_left(names, "__name__")
        at_extra = bisect_left(names, plan.reserved)
        cuts = [labels[:at_name], labels[at_name:at_extra], labels[at_extra:]]
    else:
        cuts = [sorted([*labels, ("__name__", plan.name)], key=_by_name)]
    return LabelTemplate(tuple(_encode_run(cut, caches) for cut in cuts))


def _by_name(label: tuple[str, object]) -> str:
    return label[0]


def _encode_run(
    labels: Sequence[tuple[str, str | int]], caches: dict[str, dict[str, bytes]]
) -> tuple[bytes | _Hole, ...]:
    parts: list[bytes | _Hole] = []
    constant: list[tuple[str, str]] = []
    for name, value in labels:
        if isinstance(value, str):
            constant.append((name, value))
            continue
        if constant:
            parts.append(labels_bytes(constant))
            constant = []
        parts.append(_Hole(value, name, caches.setdefault(name, {})))
    if constant or not parts:
        parts.append(labels_bytes(constant))
    return tuple(parts)


def general_runs(plan: MetricPlan, base: Labels) -> list[bytes]:
    """The runs for a point whose attributes the template cannot take (as `compile_runs`)."""
    if plan.kind in (Kind.HISTOGRAM, Kind.SUMMARY):
        runs = compile_runs(base, plan, {}).fill(())
        assert runs is not None
        return runs
    return [labels_bytes(series_labels(base, plan.name, None))]


def shard_of(encoded_labels: bytes, num_shards: int) -> int:
    return zlib.crc32(encoded_labels) % num_shards


class BucketLayout:
    """The series of a histogram (or summary) point for one set of bounds (or quantiles):
    the `__name__` and `le` labels of each, and entry templates by label length."""

    __slots__ = ("extras", "names", "rows", "templates")

    def __init__(self, names: tuple[bytes, ...], extras: tuple[bytes, ...]) -> None:
        self.names = names  # per series: bucket (or quantile) series, then _sum and _count
        self.extras = extras  # per series: the encoded `le`/`quantile` label, b"" for the last two
        self.rows = len(names)
        self.templates: dict[Any, list[bytes]] = {}

    def template(self, before: bytes, labels_len: int, sample_len: int) -> list[bytes]:
        """Six parts per series: entry header with the labels up to `__name__` and the
        name, the labels between it and `le`, `le`, the labels after it with the sample
        header, the value, the timestamp. A group's labels, values and timestamp are
        filled in by stepping through the list, six parts at a time."""
        key: Any = labels_len << 8 | sample_len
        if before:
            key = (before, key)
        parts = self.templates.get(key)
        if parts is None:
            if len(self.templates) >= 256:
                self.templates.clear()
            parts = []
            for name, extra in zip(self.names, self.extras, strict=True):
                entry_len = labels_len + len(name) + len(extra) + 2 + sample_len
                length = _SMALL[entry_len] if entry_len < 16384 else varint(entry_len)
                parts += (b"\x0a" + length + before + name, b"", extra, b"", b"", b"")
            self.templates[key] = parts
        return parts


class PlanState:
    """Per-metric encodings shared by all its groups, and the counts that tell whether any
    of its series went missing since the previous export."""

    __slots__ = (
        "before",
        "bucket_name",
        "count_name",
        "gen",
        "groups",
        "kept",
        "last_bounds",
        "last_layout",
        "layouts",
        "marked",
        "plan",
        "sum_name",
        "templates",
    )

    def __init__(self, plan: MetricPlan) -> None:
        self.plan = plan
        self.groups: dict[Any, Group] = {}
        self.templates: dict[tuple[str, ...], LabelTemplate | None] = {}
        self.layouts: dict[tuple[float, ...], BucketLayout] = {}
        self.last_bounds: Any = None
        self.last_layout: BucketLayout | None = None
        bucket = plan.name + "_bucket" if plan.kind is Kind.HISTOGRAM else plan.name
        self.bucket_name = label_bytes("__name__", bucket)
        self.sum_name = label_bytes("__name__", plan.name + "_sum")
        self.count_name = label_bytes("__name__", plan.name + "_count")
        # Groups marked in generation `gen`, how many of them were marked in the one
        # before too, and how many were marked in the one before.
        self.gen = self.marked = self.kept = self.before = 0

    def start(self, gen: int) -> None:
        """Called before marking groups in `gen`."""
        if self.gen != gen:
            self.before = self.marked if self.gen == gen - 1 else 0
            self.gen, self.marked, self.kept = gen, 0, 0

    def lost_series(self, gen: int) -> bool:
        """Whether some group marked in `gen - 1` was not marked in `gen`."""
        if self.gen == gen:
            return self.kept < self.before
        return self.gen == gen - 1 and self.marked > 0

    def template(self, keys: tuple[str, ...], caches: dict[str, dict[str, bytes]]) -> Any:
        """The label template for points with these attribute keys (None: general path)."""
        try:
            return self.templates[keys]
        except KeyError:
            pass
        plan = self.plan
        labels = plan.context.layout(keys, plan.reserved)
        template = None
        if labels is not None and all(name != "__name__" for name, _ in labels):
            template = compile_runs(labels, plan, caches)
        if len(self.templates) >= 256:
            self.templates.clear()
        self.templates[keys] = template
        return template

    def layout(self, point: Any) -> BucketLayout:
        """The series layout of a histogram or summary point (shared, cached by bounds)."""
        plan = self.plan
        if plan.kind is Kind.HISTOGRAM:
            bounds = point.explicit_bounds
            if bounds is self.last_bounds and self.last_layout is not None:
                return self.last_layout  # the SDK hands every point the same sequence
            key = tuple(bounds)
            series = plan.bucket_layout(key)
        else:
            bounds = key = tuple(q.quantile for q in point.quantile_values)
            series = plan.quantile_layout(key)
        layout = self.layouts.get(key)
        if layout is None:
            if len(self.layouts) >= 64:
                self.layouts.clear()
            n = len(series) - 2
            layout = self.layouts[key] = BucketLayout(
                (*[self.bucket_name] * n, self.sum_name, self.count_name),
                (
                    *[label_bytes(plan.reserved, e) for _, e in series[:n] if e is not None],
                    b"",
                    b"",
                ),
            )
        self.last_bounds, self.last_layout = bounds, layout
        return layout
