"""Metric and label naming rules (OpenTelemetry ↔ Prometheus compatibility)."""

from __future__ import annotations

import pytest

from upstream_prw.translate.naming import (
    format_float,
    label_value,
    metric_name,
    sanitize_label_name,
    unit_name,
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


_LABEL_NAMER = "otlptranslator label_namer_test.go labelTestCases (default LabelNamer)"
_SPEC_ATTRIBUTES = "spec: Metric Attributes (runs of `_` collapse)"


@pytest.mark.parametrize(
    ("key", "expected", "source"),
    [
        ("http.method", "http_method", "spec: Metric Attributes"),
        ("ok", "ok", "spec: Metric Attributes"),
        ("9lives", "key_9lives", _LABEL_NAMER + ': "123label"'),
        ("label:with:colons", "label_with_colons", _LABEL_NAMER),
        ("LabelWithCapitalLetters", "LabelWithCapitalLetters", _LABEL_NAMER),
        ("label!with&special$chars)", "label_with_special_chars_", _LABEL_NAMER),
        ("label_with_foreign_characters_字符", "label_with_foreign_characters_", _LABEL_NAMER),
        ("label.with.dots", "label_with_dots", _LABEL_NAMER),
        (".foo", "_foo", _LABEL_NAMER),
        ("123label", "key_123label", _LABEL_NAMER),
        ("_label_starting_with_underscore", "_label_starting_with_underscore", _LABEL_NAMER),
        ("__label_starting_with_2underscores", "_label_starting_with_2underscores", _LABEL_NAMER),
        ("ようこそ", "", _LABEL_NAMER + " (an error there: no valid name is left)"),
        ("label__with__double__underscores", "label_with_double_underscores", _SPEC_ATTRIBUTES),
        ("label.name__with&&special##chars", "label_name_with_special_chars", _LABEL_NAMER),
        ("__reserved__label__name__", "__reserved_label_name__", _LABEL_NAMER),
        ("trailing_underscores___", "trailing_underscores_", _SPEC_ATTRIBUTES),
        ("__", "", _LABEL_NAMER + " (an error there: underscores only)"),
        ("", "", _LABEL_NAMER + " (an error there: empty)"),
        ("__name__", "__name__", _LABEL_NAMER + " (attribute_labels then drops it)"),
        ("ünï", "_n_", _LABEL_NAMER),
    ],
)
def test_sanitize_label_name(key: str, expected: str, source: str) -> None:
    assert sanitize_label_name(key) == expected, source


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


_ANYVALUE = "spec: common, AnyValue representation for non-OTLP protocols"


@pytest.mark.parametrize(
    ("value", "expected", "source"),
    [
        ("text", "text", _ANYVALUE + ", Strings"),
        (True, "true", _ANYVALUE + ", Booleans"),
        (False, "false", _ANYVALUE + ", Booleans"),
        (42, "42", _ANYVALUE + ", Integers"),
        (1.5, "1.5", _ANYVALUE + ", Floating Point Numbers"),
        (float("inf"), "Infinity", _ANYVALUE + ", Floating Point Numbers"),
        (float("-inf"), "-Infinity", _ANYVALUE + ", Floating Point Numbers"),
        (float("nan"), "NaN", _ANYVALUE + ", Floating Point Numbers"),
        (b"hello world", "aGVsbG8gd29ybGQ=", _ANYVALUE + ", Byte Arrays"),
        (["a", "b"], '["a","b"]', _ANYVALUE + ", Arrays"),
        ((1, 2), "[1,2]", _ANYVALUE + ", Arrays"),
        ([True, False], "[true,false]", _ANYVALUE + ", Arrays"),
        (
            [1.0, float("-inf"), float("inf"), float("nan")],
            '[1.0,"-Infinity","Infinity","NaN"]',
            _ANYVALUE + ", Arrays (non-finite floats as JSON strings)",
        ),
        ("\ud800x", "\ufffdx", "protobuf strings are UTF-8"),
    ],
)
def test_label_value(value: object, expected: str, source: str) -> None:
    assert label_value(value) == expected, source


@pytest.mark.parametrize(
    ("unit", "expected", "source"),
    [
        ("s", "seconds", "otlptranslator metric_namer_test.go: metric with time unit"),
        ("ms", "milliseconds", "otlptranslator metric_namer_test.go: metric with time unit"),
        ("By", "bytes", "otlptranslator metric_namer_test.go: metric with bytes unit"),
        ("By/s", "bytes_per_second", "otlptranslator metric_namer_test.go: complex per unit"),
        ("1/s", "per_second", "otlptranslator metric_namer_test.go: metric with per unit"),
        ("1", "", "spec: Metric Metadata (dimensionless)"),
        ("{request}", "", "spec: Metric Metadata (brackets dropped)"),
        ("By/{custom}", "bytes", "otlptranslator metric_namer_test.go: per unit with braces"),
        ("custom_unit", "custom_unit", "otlptranslator metric_namer_test.go: unknown unit"),
        ("m/s", "meters_per_second", "spec: Metric Metadata (rates as words)"),
        ("%", "percent", "spec: Metric Metadata table"),
        ("", "", "no unit"),
    ],
)
def test_unit_name_is_the_unit_metadata(unit: str, expected: str, source: str) -> None:
    assert unit_name(unit) == expected, source
