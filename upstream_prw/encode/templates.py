"""Encoded label sets for new series, from templates compiled once per set of attribute keys.

A template is the sorted label set a resource and scope give points with these attribute
keys, encoded around holes where the attribute values go, and cut where `__name__` and
`le`/`quantile` go (the metric sets those). Constant labels are encoded once per template,
attribute values once per distinct value. Points the template cannot take (keys that
collide once sanitised, values that make an empty label) get `general_runs`, the plain
translation: both give the same bytes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from upstream_prw.encode.wire import label_bytes, labels_bytes
from upstream_prw.translate.labels import Labels
from upstream_prw.translate.naming import label_value
from upstream_prw.translate.plan import Context

__all__ = ["LabelTemplate", "Templates", "general_runs"]

_CACHED_VALUES = 8192  # encoded values kept per label name and value type
_TEMPLATES = 4096


class _Hole:
    """Where an attribute value goes; remembers how recent values were encoded."""

    __slots__ = ("by_type", "index", "name")

    def __init__(self, index: int, name: str, by_type: dict[type, dict[Any, bytes]]) -> None:
        self.index = index
        self.name = name
        # Shared by every hole of this label name. Keyed by type too: 1 and True are equal
        # dictionary keys but become "1" and "true". Floats are not remembered: 0.0 and -0.0
        # are equal keys too, but become "0" and "-0".
        self.by_type = by_type

    def encode(self, value: object) -> bytes | None:
        """The label for this value; None if the value makes an empty label."""
        try:
            return self.by_type[value.__class__][value]
        except (KeyError, TypeError):  # not seen yet, or not a value we remember
            pass
        label = label_value(value)
        if not label:
            return None
        encoded = label_bytes(self.name, label)
        cache = self.by_type.get(value.__class__)
        if cache is not None:
            if len(cache) >= _CACHED_VALUES:
                cache.clear()
            cache[value] = encoded
        return encoded


class LabelTemplate:
    """Label runs around `__name__` (and the reserved label), with holes for values."""

    __slots__ = ("runs",)

    def __init__(self, runs: tuple[tuple[list[bytes], tuple[tuple[int, _Hole], ...]], ...]):
        self.runs = runs  # per run: its parts (b"" at holes) and (position, hole) pairs

    def fill(self, values: Sequence[object]) -> list[bytes] | None:
        """The encoded runs for these attribute values; None if one makes an empty label."""
        out = []
        for parts, holes in self.runs:
            if not holes:
                out.append(parts[0])  # constant labels only: encoded whole already
                continue
            filled = parts[:]
            for position, hole in holes:
                encoded = hole.encode(values[hole.index])
                if encoded is None:
                    return None
                filled[position] = encoded
            out.append(b"".join(filled))
        return out


class Templates:
    """Label templates by (context, attribute keys, reserved label), bounded."""

    def __init__(self) -> None:
        self._templates: dict[tuple[Context, tuple[str, ...], str], LabelTemplate | None] = {}
        self._values: dict[str, dict[type, dict[Any, bytes]]] = {}

    def get(self, context: Context, keys: tuple[str, ...], reserved: str) -> LabelTemplate | None:
        """The template for these keys; None if they need the general path."""
        key = (context, keys, reserved)
        try:
            return self._templates[key]
        except KeyError:
            pass
        labels = context.layout(keys, reserved)
        template = None
        if labels is not None and all(name != "__name__" for name, _ in labels):
            template = LabelTemplate(tuple(self._run(cut) for cut in _cuts(labels, reserved)))
        if len(self._templates) >= _TEMPLATES:
            self._templates.clear()
        self._templates[key] = template
        return template

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
            by_type = self._values.setdefault(name, {str: {}, int: {}, bool: {}})
            holes.append((len(parts), _Hole(value, name, by_type)))
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
