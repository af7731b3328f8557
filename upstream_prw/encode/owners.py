"""Which metric produced a series first, so that no series is sent by two metrics.

Two OpenTelemetry metrics can translate to the same Prometheus series (`a.b` and `a_b`).
The first to produce it owns it; a later group producing it is marked shadowed and its
points are reported instead of sent. Ownership passes on once the owner has been idle for
as long as the caches keep a series.
"""

from __future__ import annotations

from collections.abc import Iterable

from upstream_prw.encode.series import Group

__all__ = ["SeriesOwners"]


class SeriesOwners:
    """Owners by series key (the hash of the series' encoded labels)."""

    __slots__ = ("_owners",)

    def __init__(self) -> None:
        self._owners: dict[int, Group] = {}

    def claim(self, group: Group, keys: Iterable[int], idle_before: int) -> None:
        """Make `group` the owner of each series that has none, or whose owner was last seen
        before generation `idle_before`; else mark it shadowed by the owner's metric."""
        owners = self._owners
        for key in keys:
            owner = owners.get(key)
            if owner is None or owner.seen < idle_before:
                owners[key] = group
            elif not group.refused:
                group.refused = f"its series are already produced by {owner.origin}"

    def release(self, group: Group, keys: Iterable[int]) -> None:
        """Forget the series `group` owns (it is being evicted)."""
        owners = self._owners
        for key in keys:
            if owners.get(key) is group:
                del owners[key]

    def __len__(self) -> int:
        return len(self._owners)

    def clear(self) -> None:
        self._owners.clear()
