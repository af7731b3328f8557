"""The one bounded cache the encoder uses: least recently used entries go first.

Every cache of the encoder is an `LRU` with its limit from `MetricsEncoder`'s keyword
arguments, so memory holds whatever the input churns: fresh attribute keys, values or bucket
bounds at every export replace old entries instead of adding to them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["LRU"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `limit` entries; storing one more forgets the one used longest ago.

    A hit in `get` counts as a use. A hot path may read `entries` itself and call
    `entries.move_to_end(key)` on a hit: that is all `get` does, without the call.
    """

    __slots__ = ("entries", "limit")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a cache must hold at least one entry, not {limit}")
        self.limit = limit
        self.entries: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: K) -> V | None:
        """The value stored under `key`, now the most recently used; None if there is none.

        Raises TypeError for an unhashable key, as a dict does."""
        entries = self.entries
        try:
            value = entries[key]
        except KeyError:
            return None
        entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store `value` as the most recently used; forget the least recent beyond `limit`."""
        entries = self.entries
        entries[key] = value
        entries.move_to_end(key)
        if len(entries) > self.limit:
            entries.popitem(last=False)
