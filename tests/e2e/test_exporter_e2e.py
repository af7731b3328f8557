"""The exporter against real backends: data written through export(), read back by PromQL."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.conftest import Backend, unique_metric_name
from tests.upstream_prw.builders import (
    counter,
    data,
    exp_histogram,
    exp_point,
    hist_point,
    histogram,
    number,
)
from upstream_prw import new_exporter

pytestmark = pytest.mark.e2e


def _export(backend: Backend, *batches: Any, **settings: Any) -> None:
    """Export each batch in turn, flush, shut down (stale markers only when asked)."""
    exporter = new_exporter(
        {
            "endpoint": backend.write_url,
            "send_stale_markers_on_shutdown": False,
            "retry_on_failure": {"max_elapsed_time": "10s"},
            **settings,
        }
    )
    try:
        for batch in batches:
            exporter.export(batch)
        assert exporter.force_flush(20_000)
        assert exporter.stats.samples_failed == 0, exporter.stats
    finally:
        exporter.shutdown(10_000)
    backend.flush()


def _now_ns() -> int:
    return time.time_ns() // 1_000_000 * 1_000_000


def test_counter_value_reads_back(backend: Backend) -> None:
    name = unique_metric_name("e2e.orders")
    t = _now_ns()
    _export(backend, data(counter(name, number(42, {"region": "eu"}, t), unit="1")))
    (series,) = backend.query_eventually(
        f'{name.replace(".", "_")}_total{{region="eu"}}', time=t / 1e9
    )
    assert series["value"][1] == "42"
    assert series["metric"]["job"] == "shop/api" and series["metric"]["instance"] == "i-1"


def test_histogram_quantile_lands_in_the_right_bucket(backend: Backend) -> None:
    name = unique_metric_name("e2e_latency")
    t = _now_ns()
    # 10 observations: 1 in (-inf,0], 2 in (0,5], 3 in (5,10], 4 above: median in (5,10]
    point = hist_point([0, 5, 10], [1, 2, 3, 4], 80.0, t=t, start=t - 10**10)
    _export(backend, data(histogram(name, point, unit="s")))
    metric = f"{name}_seconds"
    (q,) = backend.query_eventually(
        f"histogram_quantile(0.5, sum by (le) ({metric}_bucket))", time=t / 1e9
    )
    assert 5 < float(q["value"][1]) <= 10
    (count,) = backend.query(f"{metric}_count", time=t / 1e9)
    assert count["value"][1] == "10"
    (inf,) = backend.query(f'{metric}_bucket{{le="+Inf"}}', time=t / 1e9)
    assert inf["value"][1] == "10"


def test_native_histogram_count(prometheus: Backend) -> None:
    name = unique_metric_name("e2e_sizes")
    t = _now_ns()
    point = exp_point(3, (-2, [1, 0, 2, 5]), (0, [1]), zero_count=2, total=12.5, t=t)
    _export(prometheus, data(exp_histogram(name, point, unit="By")))
    (count,) = prometheus.query_eventually(f"histogram_count({name}_bytes)", time=t / 1e9)
    assert count["value"][1] == "11"
    (total,) = prometheus.query(f"histogram_sum({name}_bytes)", time=t / 1e9)
    assert total["value"][1] == "12.5"


def test_stale_series_ends(backend: Backend) -> None:
    name = unique_metric_name("e2e_stale")
    gone, stays = f'{name}_total{{k="gone"}}', f'{name}_total{{k="stays"}}'
    t1 = _now_ns() - 20 * 10**9
    t2 = t1 + 10 * 10**9
    # A resource of its own: backdated samples must not land behind other tests' target_info.
    resource = {"service.name": name, "host.name": "h"}
    both = counter(name, number(1, {"k": "gone"}, t1), number(1, {"k": "stays"}, t1))
    first = data(both, resource=resource)
    second = data(counter(name, number(2, {"k": "stays"}, t2)), resource=resource)
    _export(backend, first, second)
    # The metric came back without one of its series: that series has ended, the other not.
    assert backend.query_eventually(stays, time=t2 / 1e9 + 1)[0]["value"][1] == "2"
    assert backend.query_eventually(gone, time=t1 / 1e9 + 1)
    assert backend.query(gone, time=t2 / 1e9 + 1) == []
