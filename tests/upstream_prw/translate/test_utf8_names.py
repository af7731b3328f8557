"""UTF-8 names for Remote Write 2.0: `NoUTF8EscapingWithSuffixes` keeps names as written and
adds unit and type suffixes; `NoTranslation` keeps them exactly. Cases from otlptranslator's
metric_namer_test.go (UTF8Allowed) and label_namer_test.go (TestBuildLabel_UTF8Allowed)."""

from __future__ import annotations

import pytest

from tests.upstream_prw.builders import counter, data, hist_point, histogram, number
from tests.upstream_prw.encode.test_v2_properties import decoded, encode_v2
from upstream_prw.config import RemoteWriteSettings
from upstream_prw.errors import ConfigError
from upstream_prw.translate.naming import label_name, utf8_metric_name
from upstream_prw.translate.settings import TranslationSettings

NAMER = "otlptranslator metric_namer_test.go"


@pytest.mark.parametrize(
    ("name", "unit", "kwargs", "expected"),
    [
        ("requests_total", "", {"counter": True}, "requests_total"),
        ("cpu_usage_ratio", "1", {"ratio_gauge": True}, "cpu_usage_ratio"),
        ("response_time_seconds", "s", {}, "response_time_seconds"),
        ("cpu_seconds_total", "s", {"counter": True}, "cpu_seconds_total"),
        (
            "otelcol_process_cpu_seconds",
            "s",
            {"counter": True},
            "otelcol_process_cpu_seconds_total",
        ),
        ("___", "", {}, "___"),
        ("métric_with_ñ_chars", "", {}, "métric_with_ñ_chars"),
        (
            "métric_with_ñ_chars",
            "",
            {"namespace": "test_namespace"},
            "test_namespace_métric_with_ñ_chars",
        ),
        ("requêsts", "", {"counter": True}, "requêsts_total"),
        ("cpu_usagé", "1", {"ratio_gauge": True}, "cpu_usagé_ratio"),
        ("respønse_time", "ms", {}, "respønse_time_milliseconds"),
        ("requêsts", "1/s", {}, "requêsts_per_second"),
        (
            "requêsts",
            "1/s",
            {"counter": True, "namespace": "ñamespace"},
            "ñamespace_requêsts_per_second_total",
        ),
        ("@#$%", "", {"counter": True}, "@#$%_total"),
        (
            "metric",
            "",
            {"counter": True, "namespace": "test@namespace"},
            "test@namespace_metric_total",
        ),
        ("http.server.request.duration", "s", {}, "http.server.request.duration_seconds"),
        (
            "http.server.request.duration",
            "s",
            {"add_suffixes": False},
            "http.server.request.duration",
        ),
    ],
)
def test_utf8_metric_names(name: str, unit: str, kwargs: dict[str, object], expected: str) -> None:
    assert utf8_metric_name(name, unit, **kwargs) == expected, NAMER  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("http.request.method", "http.request.method"),
        ("label:with:colons", "label:with:colons"),
        ("ようこそ", "ようこそ"),
        ("label__with__double__underscores", "label__with__double__underscores"),
        ("__", ""),  # otlptranslator: an error, "contains only underscores"
        ("", ""),  # otlptranslator: an error, "label name is empty"
    ],
)
def test_utf8_label_names_are_kept_as_written(key: str, expected: str) -> None:
    assert label_name(key, utf8=True) == expected


def test_names_reach_the_2_0_wire_as_written() -> None:
    settings = TranslationSettings(utf8_names=True, add_scope_labels=False, target_info=False)
    md = data(
        counter("http.server.requests", number(1, {"http.request.method": "GET"}), unit="1"),
        histogram("http.server.request.duration", hist_point([1], [1, 1], 1.5), unit="s"),
    )
    names = set()
    for request in encode_v2(md, settings):
        message = decoded(request)
        symbols = list(message.symbols)
        for ts in message.timeseries:
            labels = dict(zip(*(iter(symbols[r] for r in ts.labels_refs),) * 2, strict=True))
            names.add(labels["__name__"])
            if labels["__name__"] == "http.server.requests_total":
                assert labels["http.request.method"] == "GET"
    assert names == {
        "http.server.requests_total",
        "http.server.request.duration_seconds_bucket",
        "http.server.request.duration_seconds_sum",
        "http.server.request.duration_seconds_count",
    }


@pytest.mark.parametrize("strategy", ["NoUTF8EscapingWithSuffixes", "NoTranslation"])
def test_utf8_strategies_need_remote_write_2(strategy: str) -> None:
    endpoint = "http://h/api/v1/write"
    with pytest.raises(ConfigError, match=r"only Remote Write 2\.0 carries"):
        RemoteWriteSettings.from_mapping({"endpoint": endpoint, "translation_strategy": strategy})
    settings = RemoteWriteSettings.from_mapping(
        {
            "endpoint": endpoint,
            "translation_strategy": strategy,
            "protobuf_message": "io.prometheus.write.v2.Request",
        }
    )
    translation = settings.translation_settings()
    assert translation.utf8_names
    assert translation.add_metric_suffixes is (strategy == "NoUTF8EscapingWithSuffixes")
