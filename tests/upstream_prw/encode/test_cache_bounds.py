"""The encoder's caches stay bounded: idle series are forgotten, every other cache is an LRU
of the size given, whatever the attribute keys, values and bucket bounds churn."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from tests.upstream_prw.builders import (
    T1,
    counter,
    data,
    encode,
    gauge,
    hist_point,
    histogram,
    number,
)
from tests.upstream_prw.decode import values
from upstream_prw import new_exporter
from upstream_prw.encode.encoder import MetricsEncoder
from upstream_prw.encode.lru import LRU
from upstream_prw.translate.settings import TranslationSettings

SETTINGS = TranslationSettings(target_info=False, add_scope_labels=False)


def _export(
    encoder: MetricsEncoder, n: int, *, series: range, metric: str = "g"
) -> dict[str, float]:
    t = T1 + n * 15 * 10**9
    points = [number(n + i, {"id": str(i)}, t=t) for i in series]
    requests, _ = encode(data(gauge(metric, *points)), encoder=encoder)
    return values(requests)


def test_series_idle_for_max_idle_collections_are_evicted_and_come_back_fine() -> None:
    encoder = MetricsEncoder(SETTINGS, max_idle_collections=2)
    _export(encoder, 1, series=range(100))
    assert encoder.cache_size == 100
    for n in range(2, 8):
        _export(encoder, n, series=range(10))
    assert encoder.cache_size == 10
    assert len(encoder._owners) == 10  # their registry entries went with them
    got = _export(encoder, 8, series=range(20))  # the evicted ones are new series again
    assert encoder.cache_size == 20
    assert got['g{id="15",instance="i-1",job="shop/api"}'] == 8 + 15


def test_a_metric_that_stops_is_forgotten_with_its_series() -> None:
    encoder = MetricsEncoder(SETTINGS, max_idle_collections=2)
    _export(encoder, 1, series=range(50), metric="gone")
    for n in range(2, 8):
        _export(encoder, n, series=range(5))
    assert encoder.cache_size == 5
    assert all(state.plan.otel_name == "g" for state in encoder._states.values())


def test_value_cache_keeps_the_most_recently_used_values() -> None:
    encoder = MetricsEncoder(SETTINGS, max_idle_collections=1, max_label_values=100)
    for n in range(3):
        # "GET" is used by every new series; the user ids only once each.
        points = [number(i, {"method": "GET", "user": f"u{n}-{i}"}) for i in range(500)]
        encode(data(counter("c", *points)), encoder=encoder)
    remembered = encoder._templates.values
    assert len(remembered) == 100
    assert ("method", str, "GET") in remembered.entries
    assert ("user", str, "u2-499") in remembered.entries
    assert ("user", str, "u2-0") not in remembered.entries


def test_histogram_layouts_are_capped_for_ever_changing_bounds() -> None:
    encoder = MetricsEncoder(SETTINGS)
    for n in range(200):
        point = hist_point([0, n + 1.5], [1, 1, 1], 3.0, {"k": str(n)})
        encode(data(histogram("h", point)), encoder=encoder)
    (state,) = encoder._states.values()
    assert len(state.layouts) == 64
    assert list(state.layouts.entries)[-1] == (0, 200.5)  # the latest stays


def test_the_lru_forgets_the_least_recently_used() -> None:
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # now "b" is the least recently used
    lru.put("c", 3)
    assert list(lru.entries.items()) == [("a", 1), ("c", 3)]
    assert lru.get("b") is None
    with pytest.raises(ValueError, match="at least one entry"):
        LRU(0)


def test_limits_below_one_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^max_label_values must be at least 1, not 0$"):
        MetricsEncoder(SETTINGS, max_label_values=0)


# Small limits, so that 200 exports of fresh keys and values fill each cache many times over.
LIMITS = {
    "max_label_templates": 8,
    "max_label_values": 32,
    "max_bucket_layouts": 4,
    "max_entry_templates": 6,
}
POINTS = 20  # per metric and export
IDLE = 2


def _churning_export(n: int) -> object:
    """Every point with attribute keys and values never seen before, a key sorting before
    `__name__` (so each histogram point has an entry template of its own), and histogram
    bounds never seen before."""
    t = T1 + n * 15 * 10**9
    numbers = [
        number(i, {f"Key{n}x{i % 4}": f"a{n}-{i}", f"k{n}y": f"b{n}-{i}"}, t=t)
        for i in range(POINTS)
    ]
    histograms = [
        hist_point([0, n + 0.5], [1, 2, 3], 4.0, {f"Key{n}": f"c{n}-{i}", "z": f"d{n}-{i}"}, t=t)
        for i in range(POINTS)
    ]
    return data(gauge("g", *numbers), histogram("h", *histograms))


def test_caches_stay_at_their_limits_and_memory_bounded_whatever_churns() -> None:
    gc.collect()
    tracemalloc.start()
    try:
        encoder = MetricsEncoder(SETTINGS, max_idle_collections=IDLE, **LIMITS)
        for n in range(1, 201):
            encode(_churning_export(n), encoder=encoder)  # type: ignore[arg-type]
            if n < 5:
                continue
            templates = encoder._templates
            assert len(templates.templates) == LIMITS["max_label_templates"]
            assert len(templates.values) == LIMITS["max_label_values"]
            (h,) = [s for s in encoder._states.values() if s.plan.otel_name == "h"]
            assert len(h.layouts) == LIMITS["max_bucket_layouts"]
            for layout in h.layouts.entries.values():
                assert len(layout.templates) == LIMITS["max_entry_templates"]
            # Series: those of the last IDLE + 1 exports, and at most IDLE more until the
            # next eviction (every IDLE exports).
            assert encoder.cache_size <= (2 * IDLE + 1) * 2 * POINTS
            assert len(encoder._owners) <= (2 * IDLE + 1) * 3 * POINTS  # _sum and _count
            assert len(encoder._plans) == 2
        gc.collect()
        traced, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # What the caches hold at most, in bytes per entry (each estimate is the entry's objects
    # as CPython 3.10-3.13 lays them out, rounded up): an encoded label value with its key
    # tuple and LRU node, ~300; a label template of 3 runs and 2-3 holes, ~2,000; an entry
    # template of 4 series x 6 parts, ~1,000; a cached series with its key tuple, encoded
    # labels and owner entries, ~1,200; plans, states and the encoder itself, ~20,000.
    series = (2 * IDLE + 1) * 2 * POINTS
    layouts = LIMITS["max_bucket_layouts"] * (1 + LIMITS["max_entry_templates"])
    expected = (
        LIMITS["max_label_values"] * 300
        + LIMITS["max_label_templates"] * 2_000
        + layouts * 1_000
        + series * 1_200
        + 20_000
    )
    assert traced <= 3 * expected, (traced, expected)


def test_the_exporters_encoder_caches_setting_sets_the_limits() -> None:
    exporter = new_exporter(
        {
            "endpoint": "http://127.0.0.1:9/api/v1/write",
            "remote_write_queue": {"enabled": False},
            "encoder_caches": LIMITS,
        }
    )
    try:
        encoder = exporter._encoder
        templates = encoder._templates
        assert (templates.templates.limit, templates.values.limit) == (8, 32)
        assert encoder._layout_limits == (4, 6)
    finally:
        exporter.shutdown(timeout_millis=100)
