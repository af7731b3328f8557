"""Exponential histograms as classic histograms, for backends without native histograms
(pure).

VictoriaMetrics, and Prometheus started without native histograms, cannot store what an
exponential histogram becomes by default. Rather than lose it, each point can be sent as a
classic histogram: cumulative `_bucket{le}` series at the exponential buckets' own
boundaries, `+Inf`, `_sum` and `_count`. The buckets are first merged, a scale step at a
time, until at most `limit` remain, so every boundary kept is one of the point's own and
the cumulative count at it is exact.

Boundaries in ascending order: the negative buckets' upper bounds (-base**i), the zero
bucket's (its threshold), then the positive buckets' (base**(i+1)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from upstream_prw.translate.model import Dropped, failure_reason
from upstream_prw.translate.native import downscale

__all__ = ["ClassicPoint", "bucket_bound", "classic_point", "classic_points"]


@dataclass(frozen=True, slots=True)
class ClassicPoint:
    """An explicit-bucket histogram point, as the classic path reads one."""

    attributes: Any
    start_time_unix_nano: int
    time_unix_nano: int
    count: int
    sum: float
    bucket_counts: tuple[int, ...]  # per bucket; the last is above the last bound
    explicit_bounds: tuple[float, ...]
    exemplars: Sequence[Any]
    flags: int


def bucket_bound(scale: int, index: int) -> float | None:
    """base**index at `scale` (base = 2**(2**-scale)), None beyond the float range."""
    try:
        if scale <= 0:
            return math.ldexp(1.0, index << -scale)
        whole, part = divmod(index, 1 << scale)
        return math.ldexp(2.0 ** (part / (1 << scale)), whole)
    except OverflowError:
        return None


def _trimmed(offset: int, counts: Sequence[int]) -> tuple[int, list[int]]:
    """Without leading and trailing empty buckets (they change no cumulative count)."""
    start, end = 0, len(counts)
    while start < end and not counts[start]:
        start += 1
    while end > start and not counts[end - 1]:
        end -= 1
    return offset + start, list(counts[start:end])


def classic_point(point: Any, limit: int) -> ClassicPoint:
    """The classic histogram of an exponential-histogram point, in at most `limit` buckets
    besides `+Inf` (fewer than asked when even one bucket a side is more)."""
    scale = point.scale
    positive = _trimmed(point.positive.offset, point.positive.bucket_counts)
    negative = _trimmed(point.negative.offset, point.negative.bucket_counts)
    zero_count = point.zero_count
    zero = 1 if zero_count or negative[1] else 0
    while len(positive[1]) + len(negative[1]) + zero > limit:
        if len(positive[1]) <= 1 and len(negative[1]) <= 1:
            break  # a bucket a side: as few as there can be
        positive, negative = downscale(*positive, 1), downscale(*negative, 1)
        scale -= 1
    bounds: list[float] = []
    counts: list[int] = []
    overflow = 0
    # Negative bucket i holds values in [-base**(i+1), -base**i): its upper bound is -base**i.
    neg_offset, neg_counts = negative
    for i in range(len(neg_counts) - 1, -1, -1):
        bound = bucket_bound(scale, neg_offset + i)
        if not bound:  # beyond -MAX_FLOAT, or above -MIN_FLOAT: into the next bucket up
            overflow += neg_counts[i]
            continue
        bounds.append(-bound)
        counts.append(neg_counts[i] + overflow)
        overflow = 0
    if zero:
        bounds.append(float(getattr(point, "zero_threshold", 0.0) or 0.0))
        counts.append(zero_count + overflow)
        overflow = 0
    pos_offset, pos_counts = positive
    for i, count in enumerate(pos_counts):
        bound = bucket_bound(scale, pos_offset + i + 1)
        if bound is None:  # beyond MAX_FLOAT: merges into the next bucket up
            overflow += count
            continue
        if bounds and bound <= bounds[-1]:  # below the smallest float: into the one below
            counts[-1] += count
            continue
        bounds.append(bound)
        counts.append(count + overflow)
        overflow = 0
    counts.append(overflow)  # what lies above the last bound
    return ClassicPoint(
        attributes=point.attributes,
        start_time_unix_nano=point.start_time_unix_nano,
        time_unix_nano=point.time_unix_nano,
        count=point.count,
        sum=point.sum,
        bucket_counts=tuple(counts),
        explicit_bounds=tuple(bounds),
        exemplars=getattr(point, "exemplars", None) or (),
        flags=getattr(point, "flags", 0),
    )


def classic_points(
    points: Sequence[Any], limit: int, metric: str, dropped: list[Dropped]
) -> list[Any]:
    """`classic_point` of each point; one that cannot be converted is reported, alone."""
    out: list[Any] = []
    for point in points:
        try:
            out.append(classic_point(point, limit))
        except Exception as exc:
            dropped.append(Dropped(metric, failure_reason(exc)))
    return out
