"""The encoder's caches stay bounded: idle series are forgotten, per-value caches capped."""

from __future__ import annotations

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
from upstream_prw.encode.encoder import MetricsEncoder
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


def test_value_caches_are_capped_for_unbounded_attribute_values() -> None:
    encoder = MetricsEncoder(SETTINGS, max_idle_collections=1)
    for n in range(3):
        points = [number(i, {"user": f"u{n}-{i}"}) for i in range(6000)]
        encode(data(counter("c", *points)), encoder=encoder)
    remembered = encoder._templates._values["user"][str]
    assert 0 < len(remembered) <= 8192
    assert encoder.cache_size <= 2 * 6000


def test_histogram_layouts_are_capped_for_ever_changing_bounds() -> None:
    encoder = MetricsEncoder(SETTINGS)
    for n in range(200):
        point = hist_point([0, n + 1.5], [1, 1, 1], 3.0, {"k": str(n)})
        encode(data(histogram("h", point)), encoder=encoder)
    (state,) = encoder._states.values()
    assert len(state.layouts) <= 64
