"""Encoded label sets for new series, from templates compiled once per set of attribute keys.

A template is the sorted label set a resource and scope give points with these attribute
keys, encoded around holes where the attribute values go, and cut where `__name__` and
`le`/`quantile` go (the metric sets those). Constant labels are encoded once per template,
attribute values once per distinct value while it is recent. Points the template cannot
take (keys that collide once sanitised, values that make an empty label) get
`general_runs`, the plain translation: both give the same bytes. Templates and encoded
values are each one `LRU`, so fresh keys or values at every export replace old entries.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from upstream_prw.encode.lru import LRU
from upstream_prw.encode.wire import label_bytes, labels_bytes
from upstream_prw.translate.labels import Labels
from upstream_prw.translate.naming import label_value
from upstream_prw.translate.plan import Context

__all__ = ["LabelTemplate", "Templates", "general_runs"]

ValueCache = LRU[tuple[str, type, Any], bytes]
"""Encoded labels by (label name, value type, value), shared by every template. Keyed by
type too: 1 and True are equal dictionary keys but become "1" and "true". Floats are not
remembered: 0.0 and -0.0 are equal keys too, but become "0" and "-0"."""


class _Hole:
    """Where an attribute value goes, and how a value not in the cache is encoded."""

    __slots__ = ("index", "name", "values")

    def __init__(self, index: int, name: str, values: ValueCache) -> None:
        self.index = index
        self.name = name
        self.values = values

    def encode(self, value: object) -> bytes | None:
        """The label for a value not in the cache (see `LabelTemplate.fill`); None if the
        value makes an empty label."""
        label = label_value(value)
        if not label:
            return None
        encoded = label_bytes(self.name, label)
        cls = value.__class__
        if cls is str or cls is int or cls is bool:
            self.values.put((self.name, cls, value), encoded)
        return encoded


class LabelTemplate:
    """Label runs around `__name__` (and the reserved label), with holes for values."""

    __slots__ = ("runs", "values")

    def __init__(
        self,
        runs: tuple[tuple[list[bytes], tuple[tuple[int, _Hole], ...]], ...],
        values: ValueCache,
    ) -> None:
        self.runs = runs  # per run: its parts (b"" at holes) and (position, hole) pairs
        self.values = values

    def fill(self, values: Sequence[object]) -> list[bytes] | None:
        """The encoded runs for these attribute values; None if one makes an empty label."""
        cache = self.values.entries  # the LRU's get, inlined: this runs per value of a new series
        out = []
        for parts, holes in self.runs:
            if not holes:
                out.append(parts[0])  # constant labels only: encoded whole already
                continue
            filled = parts[:]
            for position, hole in holes:
                value = values[hole.index]
                cls = value.__class__
                if cls is str or cls is int or cls is bool:
                    key = (hole.name, cls, value)
                    encoded = cache.get(key)
                    if encoded is not None:
                        cache.move_to_end(key)
                        filled[position] = encoded
                        continue
                encoded = hole.encode(value)
                if encoded is None:
                    return None
                filled[position] = encoded
            out.append(b"".join(filled))
        return out


_NEEDS_GENERAL = LabelTemplate((), LRU(1))  # cached for keys that need the general path


class Templates:
    """Label templates by (context, attribute keys, reserved label), and encoded values:
    each bounded by entries, least recently used first out."""

    def __init__(self, max_templates: int = 4096, max_values: int = 8192) -> None:
        self.templates: LRU[tuple[Context, tuple[str, ...], str], LabelTemplate] = LRU(
            max_templates
        )
        self.values: ValueCache = LRU(max_values)

    def get(self, context: Context, keys: tuple[str, ...], reserved: str) -> LabelTemplate | None:
        """The template for these keys; None if they need the general path."""
        key = (context, keys, reserved)
        templates = self.templates.entries  # the LRU's get, inlined: this runs per new series
        template = templates.get(key)
        if template is not None:
            templates.move_to_end(key)
        else:
            labels = context.layout(keys, reserved)
            template = _NEEDS_GENERAL
            if labels is not None and all(name != "__name__" for name, _ in labels):
                runs = tuple(self._run(cut) for cut in _cuts(labels, reserved))
                template = LabelTemplate(runs, self.values)
            self.templates.put(key, template)
        return None if template is _NEEDS_GENERAL else template

    def _run(
        self, labels: Sequence[tuple[str, str | int]]
    ) -> tuple[list[bytes], tuple[tuple[int, _Hole], ...]]:
        parts: list[bytes] = []
        holes: list[tuple[int, _Hole]] = []
        constant: list[tuple[str, str]] = []
        for name, value in labels:
            if isinstance(value, str):
                constant.append((name, value))
                continue
            if constant:
                parts.append(labels_bytes(constant))
                constant = []
            holes.append((len(parts), _Hole(value, name, self.values)))
            parts.append(b"")
        if constant or not parts:
            parts.append(labels_bytes(constant))
        return parts, tuple(holes)


def _cuts(labels: Sequence[tuple[str, Any]], reserved: str) -> list[Sequence[tuple[str, Any]]]:
    """Labels before `__name__`, after it (and, with a reserved label, after that)."""
    names = [name for name, _ in labels]
    at_name = bisect_left(names, "__name__")
    if not reserved:
        return [labels[:at_name], labels[at_name:]]
    at_reserved = bisect_left(names, reserved)
    return [labels[:at_name], labels[at_name:at_reserved], labels[at_reserved:]]


def general_runs(base: Labels, reserved: str) -> list[bytes]:
    """The runs `LabelTemplate.fill` gives, for any label set (the plain translation)."""
    return [labels_bytes(cut) for cut in _cuts(base, reserved)]
