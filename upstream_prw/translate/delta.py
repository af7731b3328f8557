"""Delta points turned into cumulative ones, per series (pure folds over explicit state).

The exporter asks the SDK for cumulative temporality; deltas still arrive from other
sources. Each fold returns the new state and the point as a cumulative point. A point that
starts before the last one ended means the producer restarted: accumulation starts over.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from opentelemetry.sdk.metrics.export import Buckets

from upstream_prw.translate.native import downscale

__all__ = ["fold_delta"]

# state: (start_time_unix_nano, last_time_unix_nano, accumulated point)
DeltaState = tuple[int, int, Any]


def fold_delta(state: DeltaState | None, point: Any) -> tuple[DeltaState, Any]:
    """Add a delta point to the series' running total; return (state, cumulative point)."""
    if state is None or point.start_time_unix_nano < state[1]:
        total = point
        start = point.start_time_unix_nano
    else:
        start = state[0]
        total = _add(state[2], point)
    total = dataclasses.replace(
        total, start_time_unix_nano=start, time_unix_nano=point.time_unix_nano
    )
    return (start, point.time_unix_nano, total), total


def _add(total: Any, point: Any) -> Any:
    if hasattr(point, "value"):
        return dataclasses.replace(point, value=total.value + point.value)
    if hasattr(point, "explicit_bounds"):
        if list(total.explicit_bounds) != list(point.explicit_bounds):
            return point  # new bucket layout: start over rather than mix layouts
        return dataclasses.replace(
            point,
            count=total.count + point.count,
            sum=total.sum + point.sum,
            bucket_counts=[
                a + b for a, b in zip(total.bucket_counts, point.bucket_counts, strict=True)
            ],
            min=min(total.min, point.min),
            max=max(total.max, point.max),
        )
    if hasattr(point, "scale"):
        return _add_exponential(total, point)
    return point  # summaries are already cumulative by nature


def _add_exponential(total: Any, point: Any) -> Any:
    scale = min(total.scale, point.scale)
    buckets = {}
    for side in ("positive", "negative"):
        merged: dict[int, int] = {}
        for source in (total, point):
            b = getattr(source, side)
            offset, counts = downscale(b.offset, b.bucket_counts, source.scale - scale)
            for i, c in enumerate(counts):
                merged[offset + i] = merged.get(offset + i, 0) + c
        if merged:
            low, high = min(merged), max(merged)
            buckets[side] = Buckets(low, [merged.get(i, 0) for i in range(low, high + 1)])
        else:
            buckets[side] = Buckets(0, [])
    return dataclasses.replace(
        point,
        scale=scale,
        count=total.count + point.count,
        sum=total.sum + point.sum,
        zero_count=total.zero_count + point.zero_count,
        positive=buckets["positive"],
        negative=buckets["negative"],
        min=min(total.min, point.min),
        max=max(total.max, point.max),
    )
