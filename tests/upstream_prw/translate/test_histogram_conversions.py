"""Histograms in the form the backend can take: explicit-bucket ones as native histograms
with custom buckets (NHCB), exponential ones as classic histograms.

Each is decoded from the encoder's bytes and rebuilt: the NHCB into bounds and cumulative
counts, the classic buckets into the counts at each boundary.
"""

from __future__ import annotations

import math
import random
from itertools import accumulate
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.upstream_prw.builders import (
    T1,
    data,
    exp_histogram,
    exp_point,
    hist_point,
    histogram,
)
from tests.upstream_prw.decode import decode, merged, values
from tests.upstream_prw.reference.translation import translate
from upstream_prw.encode.encoder import MetricsEncoder
from upstream_prw.proto import remote_pb2
from upstream_prw.translate.classic import bucket_bound, classic_point
from upstream_prw.translate.model import is_stale
from upstream_prw.translate.settings import TranslationSettings

NHCB = TranslationSettings(nhcb=True, add_scope_labels=False, target_info=False)
CLASSIC = TranslationSettings(native_histograms=False, add_scope_labels=False, target_info=False)


def _export(md: Any, settings: TranslationSettings, times: int = 2) -> tuple[list[Any], Any]:
    """The last of `times` exports, checked against the reference translation each time."""
    encoder = MetricsEncoder(settings)
    for _ in range(times):
        requests: list[Any] = []
        report = encoder.encode(md, requests.append)
        expected = translate(md, settings)
        assert {s.labels for s in expected.series} == set(merged(requests))
        assert report.dropped == expected.dropped
    return requests, report


def _rebuild(h: remote_pb2.Histogram) -> list[int]:
    """Per-bucket counts from the spans and deltas, one per custom value plus +Inf."""
    counts = [0] * (len(h.custom_values) + 1)
    index, previous = 0, 0  # the bucket after the last span: a span's offset counts from it
    deltas = iter(h.positive_deltas)
    for span in h.positive_spans:
        index += span.offset
        for _ in range(span.length):
            previous += next(deltas)
            counts[index] = previous
            index += 1
    return counts


# -- NHCB -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "counts"),
    [
        ([-2, -1, 0, 1, 2], [10, 0, 0, 20, 5, 2]),  # spec: Histograms as Prometheus NHCB
        (
            [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            [0] * 5 + [3, 0, 0, 0, 1, 0, 7],
        ),
        ([1.0], [0, 0]),
        ([], [4]),
    ],
)
def test_nhcb_decodes_to_the_bounds_and_the_cumulative_counts(
    bounds: list[float], counts: list[int]
) -> None:
    md = data(histogram("latency", hist_point(bounds, counts, 12.5), unit="s"))
    requests, report = _export(md, NHCB)
    ((labels, series),) = merged(requests).items()
    assert dict(labels)["__name__"] == "latency_seconds"  # no _bucket: one series
    (h,) = series.histograms
    assert h.schema == -53 and h.reset_hint == remote_pb2.Histogram.UNKNOWN
    assert list(h.custom_values) == [float(b) for b in bounds]  # without +Inf
    assert (h.zero_threshold, h.zero_count_int, list(h.negative_spans)) == (0.0, 0, [])
    assert (h.count_int, h.sum, h.timestamp) == (sum(counts), 12.5, T1 // 1_000_000)
    rebuilt = _rebuild(h)
    assert rebuilt == counts
    assert list(accumulate(rebuilt)) == list(accumulate(counts))  # cumulative, +Inf = count
    assert report.points == 1


def test_nhcb_spans_follow_the_spec_example() -> None:
    """spec: Histograms as Prometheus NHCB. Zero buckets MAY extend a span: runs of up to
    two stay inside it, as the exponential conversion does."""
    md = data(histogram("h", hist_point([-2, -1, 0, 1, 2], [10, 0, 0, 20, 5, 2])))
    ((_, series),) = merged(_export(md, NHCB)[0]).items()
    (h,) = series.histograms
    assert [(s.offset, s.length) for s in h.positive_spans] == [(0, 6)]
    assert list(h.positive_deltas) == [10, -10, 0, 20, -15, -3]
    md = data(histogram("h", hist_point([1, 2, 3, 4, 5], [10, 0, 0, 0, 5, 2])))
    ((_, series),) = merged(_export(md, NHCB)[0]).items()
    (h,) = series.histograms
    assert [(s.offset, s.length) for s in h.positive_spans] == [(0, 1), (3, 2)]
    assert list(h.positive_deltas) == [10, -5, -3]


def test_keep_classic_histograms_sends_both_and_counts_each_point_once() -> None:
    settings = TranslationSettings(
        nhcb=True, keep_classic_histograms=True, add_scope_labels=False, target_info=False
    )
    md = data(histogram("h", hist_point([1, 5], [1, 2, 3], 9.0)))
    requests, report = _export(md, settings)
    names = sorted(dict(labels)["__name__"] for labels in merged(requests))
    assert names == ["h", "h_bucket", "h_bucket", "h_bucket", "h_count", "h_sum"]
    assert report.points == 1
    assert values(requests)['h_bucket{instance="i-1",job="shop/api",le="5"}'] == 3


def test_nhcb_series_end_with_a_stale_marker_at_shutdown() -> None:
    encoder = MetricsEncoder(NHCB)
    encoder.encode(data(histogram("h", hist_point([1], [1, 1]))), lambda _: None)
    requests: list[Any] = []
    encoder.stale_all(requests.append, now_ms=T1 // 1_000_000 + 1)
    ((_, series),) = merged(requests).items()
    assert [is_stale(s.value) for s in series.samples] == [True]


# -- exponential as classic -----------------------------------------------------------------


def _observations_at_or_below(point: Any, bound: float) -> int:
    """What the exponential histogram says lies at or below `bound`, from its own buckets
    (every bound the conversion uses is one of theirs, at some scale)."""
    scale = point.scale
    total = 0
    for i, count in enumerate(point.negative.bucket_counts):
        magnitude = bucket_bound(scale, point.negative.offset + i)  # [-b**(i+1), -b**i)
        upper = -math.inf if magnitude is None else -magnitude
        if upper <= bound:
            total += count
    if bound >= 0:
        total += point.zero_count
    for i, count in enumerate(point.positive.bucket_counts):
        upper = bucket_bound(scale, point.positive.offset + i + 1)
        if upper is not None and upper <= bound:
            total += count
    return total


def _random_point(scale: int, rng: random.Random) -> Any:
    positive = [rng.choice([0, 0, 1, 2, 5, 40]) for _ in range(rng.randint(1, 160))]
    negative = [rng.choice([0, 1, 3]) for _ in range(rng.randint(0, 30))]
    return exp_point(
        scale,
        (rng.randint(-20, 20), positive),
        (rng.randint(-20, 20), negative),
        zero_count=rng.choice([0, 0, 4]),
        total=123.0,
    )


@pytest.mark.parametrize("scale", [0, 3, 8])
@pytest.mark.parametrize("seed", range(5))
def test_classic_buckets_hold_the_exponential_counts_at_their_boundaries(
    scale: int, seed: int
) -> None:
    point = _random_point(scale, random.Random(scale * 100 + seed))
    classic = classic_point(point, 40)
    bounds = classic.explicit_bounds
    assert len(bounds) <= 40
    assert list(bounds) == sorted(set(bounds))  # strictly ascending
    cumulative = list(accumulate(classic.bucket_counts))
    for bound, count in zip(bounds, cumulative, strict=False):
        assert count == _observations_at_or_below(point, bound), (bound, scale)
    assert cumulative[-1] == point.count  # +Inf


@pytest.mark.parametrize("limit", [1, 2, 3, 10, 40])
def test_the_bucket_limit_is_kept_whatever_the_spread(limit: int) -> None:
    point = exp_point(8, (-2000, [1] * 160), (-2000, [1] * 160), zero_count=1)
    classic = classic_point(point, limit)
    assert len(classic.explicit_bounds) <= max(limit, 3)  # one bucket a side at least
    assert sum(classic.bucket_counts) == point.count


def test_buckets_beyond_the_float_range_merge_into_their_neighbours() -> None:
    point = exp_point(-4, (60, [1, 1, 1, 1, 1, 1]))  # bounds 2**976 up to 2**1072
    classic = classic_point(point, 40)
    assert all(math.isfinite(b) for b in classic.explicit_bounds)
    assert sum(classic.bucket_counts) == 6 and classic.bucket_counts[-1] > 0


def test_exponential_histograms_go_out_as_classic_ones_when_native_ones_are_off() -> None:
    point = exp_point(0, (0, [1, 2, 3]), zero_count=1, total=17.0)  # (1,2], (2,4], (4,8]
    md = data(exp_histogram("size", point, unit="By"))
    requests, report = _export(md, CLASSIC)
    assert values(requests) == {
        'size_bytes_bucket{instance="i-1",job="shop/api",le="0"}': 1,
        'size_bytes_bucket{instance="i-1",job="shop/api",le="2"}': 2,
        'size_bytes_bucket{instance="i-1",job="shop/api",le="4"}': 4,
        'size_bytes_bucket{instance="i-1",job="shop/api",le="8"}': 7,
        'size_bytes_bucket{instance="i-1",job="shop/api",le="+Inf"}': 7,
        'size_bytes_count{instance="i-1",job="shop/api"}': 7,
        'size_bytes_sum{instance="i-1",job="shop/api"}': 17.0,
    }
    assert report.points == 1 and report.dropped == []
    assert not any(ts.histograms for r in requests for ts in decode(r).timeseries)


@settings(max_examples=200, deadline=None)
@given(
    scale=st.integers(-3, 12),
    positive=st.tuples(st.integers(-300, 300), st.lists(st.integers(0, 50), max_size=200)),
    negative=st.tuples(st.integers(-300, 300), st.lists(st.integers(0, 50), max_size=60)),
    zero_count=st.integers(0, 5),
    limit=st.integers(1, 60),
)
def test_classic_conversion_is_exact_at_every_boundary_it_keeps(
    scale: int,
    positive: tuple[int, list[int]],
    negative: tuple[int, list[int]],
    zero_count: int,
    limit: int,
) -> None:
    point = exp_point(scale, positive, negative, zero_count=zero_count)
    classic = classic_point(point, limit)
    bounds = classic.explicit_bounds
    assert list(bounds) == sorted(set(bounds))
    assert len(bounds) <= max(limit, 3)
    cumulative = list(accumulate(classic.bucket_counts))
    for bound, count in zip(bounds, cumulative, strict=False):
        assert count == _observations_at_or_below(point, bound)
    assert cumulative[-1] == point.count
