"""Metric and label naming rules (OpenTelemetry ↔ Prometheus compatibility)."""

from __future__ import annotations

import pytest

from upstream_prw.translate.naming import (
    format_float,
    label_value,
    metric_name,
    sanitize_label_name,
)


@pytest.mark.parametrize(
    ("name", "unit", "kwargs", "expected"),
    [
        ("http.server.duration", "s", {}, "http_server_duration_seconds"),
        ("http.server.duration", "ms", {}, "http_server_duration_milliseconds"),
        ("mem.usage", "By", {}, "mem_usage_bytes"),
        ("db.io", "KiBy", {}, "db_io_kibibytes"),
        ("speed", "m/s", {}, "speed_meters_per_second"),
        ("packets", "{packets}/s", {}, "packets_per_second"),
        ("queue", "{items}", {}, "queue"),
        ("load", "%", {}, "load_percent"),
        ("requests", "1", {"counter": True}, "requests_total"),
        ("requests_total", "", {"counter": True}, "requests_total"),
        ("total.requests", "", {"counter": True}, "requests_total"),
        ("cpu.utilization", "1", {"ratio_gauge": True}, "cpu_utilization_ratio"),
        ("cpu.utilization", "1", {}, "cpu_utilization"),
        ("latency_seconds", "s", {}, "latency_seconds"),
        ("io_seconds_total", "s", {"counter": True}, "io_seconds_total"),
        ("a..b--c", "", {}, "a_b_c"),
        ("__a__", "", {}, "a"),
        ("2xx.count", "", {}, "_2xx_count"),
        ("ns:metric", "", {}, "ns:metric"),
        ("requests", "s", {"namespace": "shop"}, "shop_requests_seconds"),
        ("requests", "s", {"counter": True, "add_suffixes": False}, "requests"),
        ("ééé", "", {}, ""),
    ],
)
def test_metric_name(name: str, unit: str, kwargs: dict[str, object], expected: str) -> None:
    assert metric_name(name, unit, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("http.method", "http_method"),
        ("ok", "ok"),
        ("9lives", "key_9lives"),
        ("_private", "key_private"),
        ("__name__", "key__name__"),
        ("ünï", "key_n_"),
        ("", ""),
    ],
)
def test_sanitize_label_name(key: str, expected: str) -> None:
    assert sanitize_label_name(key) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (5.0, "5"),
        (0.005, "0.005"),
        (1e-7, "0.0000001"),
        (1e21, "1000000000000000000000"),
        (2.5, "2.5"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
        (float("nan"), "NaN"),
        (7500.0, "7500"),
    ],
)
def test_format_float_is_shortest_fixed_notation(value: float, expected: str) -> None:
    assert format_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (1.5, "1.5"),
        (["a", "b"], '["a","b"]'),
        ((1, 2), "[1,2]"),
        ([True, False], "[true,false]"),
        ("\ud800x", "\ufffdx"),
    ],
)
def test_label_value(value: object, expected: str) -> None:
    assert label_value(value) == expected
