"""The metadata of each series name, for Remote Write 2.0, which puts it on every series.

Filled as metric plans are made, looked up by `Upgrader` by a series' `__name__`: a
histogram's `_bucket`, `_sum` and `_count` series carry their metric's metadata. Bounded
like the encoder's other caches; the first metric to claim a name keeps it.
"""

from __future__ import annotations

from upstream_prw.encode.lru import LRU
from upstream_prw.encode.upgrade import Metadata
from upstream_prw.translate.plan import MetricPlan

__all__ = ["TARGET_INFO_HELP", "Catalog"]

TARGET_INFO_HELP = "Target metadata"
_GAUGE = 2


class Catalog:
    """Series name → (2.0 metadata type, help, unit)."""

    def __init__(self, target_info: str, limit: int = 16384) -> None:
        self._names: LRU[str, Metadata] = LRU(limit)
        self._names.put(target_info, (_GAUGE, TARGET_INFO_HELP.encode(), b""))

    def add(self, plan: MetricPlan) -> None:
        meta: Metadata = (plan.metadata_type, plan.help.encode(), plan.unit.encode())
        for name in plan.series_names:
            if self._names.get(name) is None:
                self._names.put(name, meta)

    def __call__(self, name: str) -> Metadata | None:
        return self._names.get(name)
