"""Stale markers per metric: a series ends when its own metric is exported again without it,
or at shutdown; never because an export carried only other metrics."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics.export import MetricsData

from tests.upstream_prw.builders import T1, counter, data, gauge, hist_point, histogram, number
from tests.upstream_prw.decode import STALE, samples
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.encoder import EncodeReport, MetricsEncoder
from upstream_prw.translate.settings import TranslationSettings

SETTINGS = TranslationSettings(add_scope_labels=False, target_info=False)
RESOURCE = {"service.name": "api"}  # no other attribute: no target_info either way
MS = 1_000_000
STEP = 15 * 10**9  # ns between collections


def _at(n: int) -> int:
    """Time of collection `n` (ns)."""
    return T1 + n * STEP


def _ms(n: int) -> int:
    return _at(n) // MS


def _export(
    encoder: MetricsEncoder, *metrics: Any, now_ms: int = 0
) -> tuple[dict[str, list[tuple[int, float | str]]], EncodeReport]:
    out: list[EncodedRequest] = []
    report = encoder.encode(data(*metrics, resource=RESOURCE), out.append, now_ms=now_ms)
    return samples(out), report


def _a(n: int) -> Any:
    return gauge("a", number(n, {"k": "x"}, _at(n)), number(n, {"k": "y"}, _at(n)))


def _b(n: int) -> Any:
    return counter("b", number(10 + n, {}, _at(n)))


def test_exports_of_a_subset_of_metrics_mark_no_other_metric_stale() -> None:
    encoder = MetricsEncoder(SETTINGS)
    got, _ = _export(encoder, _a(1), _b(1))
    assert got == {
        'a{job="api",k="x"}': [(_ms(1), 1)],
        'a{job="api",k="y"}': [(_ms(1), 1)],
        'b_total{job="api"}': [(_ms(1), 11)],
    }
    # push_metrics beside a periodic reader, or two threads: each export carries some metrics
    for n in range(2, 6):
        got, report = _export(encoder, _a(n) if n % 2 else _b(n))
        expected = (
            {'a{job="api",k="x"}': [(_ms(n), n)], 'a{job="api",k="y"}': [(_ms(n), n)]}
            if n % 2
            else {'b_total{job="api"}': [(_ms(n), 10 + n)]}
        )
        assert got == expected
        assert report.stale_markers == 0
    got, report = _export(encoder, _a(6), _b(6))
    assert report.stale_markers == 0
    assert len(got) == 3


def test_a_metric_exported_without_one_of_its_series_marks_exactly_that_one() -> None:
    encoder = MetricsEncoder(SETTINGS)
    _export(encoder, _a(1), _b(1), histogram("h", hist_point([1], [1, 1], 2.0, {}, _at(1))))
    # `b` and `h` are not in this export; `a` is, without k="y"
    got, report = _export(encoder, gauge("a", number(2, {"k": "x"}, _at(2))))
    assert got == {
        'a{job="api",k="x"}': [(_ms(2), 2)],
        'a{job="api",k="y"}': [(_ms(2), STALE)],
    }
    assert report.stale_markers == 1
    # once marked, it is not marked again; `h` comes back without its only series
    got, report = _export(encoder, gauge("a", number(3, {"k": "x"}, _at(3))), histogram("h"))
    assert got == {
        'a{job="api",k="x"}': [(_ms(3), 3)],
        'h_bucket{job="api",le="1"}': [(_ms(3), STALE)],
        'h_bucket{job="api",le="+Inf"}': [(_ms(3), STALE)],
        'h_count{job="api"}': [(_ms(3), STALE)],
        'h_sum{job="api"}': [(_ms(3), STALE)],
    }
    assert report.stale_markers == 4


def test_a_metric_back_after_missing_exports_is_compared_with_its_own_last_export() -> None:
    encoder = MetricsEncoder(SETTINGS)
    _export(encoder, _a(1), _b(1))
    _export(encoder, _b(2))
    _export(encoder, _b(3))
    got, report = _export(encoder, gauge("a", number(4, {"k": "y"}, _at(4))), _b(4))
    assert got == {
        'a{job="api",k="x"}': [(_ms(4), STALE)],
        'a{job="api",k="y"}': [(_ms(4), 4)],
        'b_total{job="api"}': [(_ms(4), 14)],
    }
    assert report.stale_markers == 1


def test_a_metric_that_changes_its_unit_ends_the_series_of_the_old_one() -> None:
    # Another unit is another plan, and other series; the metric is the same.
    encoder = MetricsEncoder(SETTINGS)
    _export(encoder, counter("c", number(1, {}, _at(1)), unit="ms"))
    got, report = _export(encoder, counter("c", number(2, {}, _at(2)), unit="s"))
    assert got == {
        'c_milliseconds_total{job="api"}': [(_ms(2), STALE)],
        'c_seconds_total{job="api"}': [(_ms(2), 2)],
    }
    assert report.stale_markers == 1
    got, report = _export(encoder, counter("c", number(3, {}, _at(3)), unit="s"))
    assert got == {'c_seconds_total{job="api"}': [(_ms(3), 3)]}
    assert report.stale_markers == 0


def test_stale_markers_come_after_the_last_sample_even_when_time_goes_back() -> None:
    # Bridged data can go back in time, and the clock (`now_ms`) can lag the points.
    encoder = MetricsEncoder(SETTINGS)
    _export(encoder, _a(5), now_ms=0)
    got, _ = _export(encoder, gauge("a", number(1, {"k": "x"}, _at(1))), now_ms=0)
    assert got == {
        'a{job="api",k="x"}': [(_ms(1), 1)],
        'a{job="api",k="y"}': [(_ms(5) + 1, STALE)],
    }
    # an export of the metric without any point: the clock, if later, gives the time
    got, _ = _export(encoder, gauge("a"), now_ms=_ms(9))
    assert got == {'a{job="api",k="x"}': [(_ms(9), STALE)]}


def test_shutdown_marks_every_live_series_of_every_metric() -> None:
    settings = TranslationSettings(add_scope_labels=False)  # target_info on
    encoder = MetricsEncoder(settings)
    resource = {"service.name": "api", "host": "h"}
    encoder.encode(data(_a(1), _b(1), resource=resource), [].append)
    encoder.encode(data(gauge("a", number(2, {"k": "x"}, _at(2))), resource=resource), [].append)
    out: list[EncodedRequest] = []
    report = encoder.stale_all(out.append, now_ms=_ms(3))
    # k="y" was marked at the second export already; `b` was not in it but is live
    assert samples(out) == {
        'a{job="api",k="x"}': [(_ms(3), STALE)],
        'b_total{job="api"}': [(_ms(3), STALE)],
        'target_info{host="h",job="api"}': [(_ms(3), STALE)],
    }
    assert report.stale_markers == 3
    assert encoder.cache_size == 0
    # a clock behind the samples still gives a time after them
    encoder.encode(data(_b(4), resource=resource), [].append)
    out = []
    encoder.stale_all(out.append, now_ms=0)
    assert samples(out) == {
        'b_total{job="api"}': [(_ms(4) + 1, STALE)],
        'target_info{host="h",job="api"}': [(_ms(4) + 1, STALE)],
    }


def test_two_resources_exported_apart_leave_each_other_alone() -> None:
    # The family is resource, scope and name: the same metric of another resource is another.
    encoder = MetricsEncoder(SETTINGS)
    first = MetricsData(
        [*data(_b(1)).resource_metrics, *data(_b(1), resource=RESOURCE).resource_metrics]
    )
    encoder.encode(first, [].append)
    out: list[EncodedRequest] = []
    report = encoder.encode(data(_b(2), resource=RESOURCE), out.append)
    assert samples(out) == {'b_total{job="api"}': [(_ms(2), 12)]}
    assert report.stale_markers == 0
