"""The translation rules as they stand in 2026, each case naming where the rule comes from.

Every case is checked on the decoded bytes of the encoder, first as new series and then on
the fast path, and against the reference translation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from opentelemetry.sdk.metrics._internal.exemplar import Exemplar
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from tests.upstream_prw.builders import (
    T1,
    counter,
    data,
    exp_histogram,
    exp_point,
    gauge,
    hist_point,
    histogram,
    number,
    updown,
)
from tests.upstream_prw.decode import decode, merged, values
from tests.upstream_prw.reference.translation import translate
from upstream_prw.encode.encoder import MetricsEncoder
from upstream_prw.translate.settings import TranslationSettings

BARE = TranslationSettings(add_scope_labels=False, target_info=False)
SCOPED = TranslationSettings(target_info=False)
ID = 'instance="i-1",job="shop/api"'
SCOPE_SPEC = "spec: Instrumentation Scope"


def _encode_twice(md: Any, settings: TranslationSettings) -> list[Any]:
    """The requests of the second export (the fast path's), after checking that both
    exports decode to what the reference translation says."""
    encoder = MetricsEncoder(settings)
    requests: list[Any] = []
    for _ in range(2):
        requests = []
        encoder.encode(md, requests.append)
        expected = translate(md, settings)
        got = {labels: ts for labels, ts in merged(requests).items()}
        assert {s.labels for s in expected.series} == set(got)
    return requests


def _series(md: Any, settings: TranslationSettings) -> dict[str, float]:
    return values(_encode_twice(md, settings))


# -- bugs that were on the wire -------------------------------------------------------------


def test_a_native_histogram_without_a_zero_threshold_gets_1e_128() -> None:
    """spec: Exponential Histograms ("Otherwise, it is set to the default value 1e-128");
    the Python SDK's point has no zero threshold at all."""
    md = data(exp_histogram("e", exp_point(0, (0, [1, 2]), zero_count=1)))
    (series,) = merged(_encode_twice(md, BARE)).values()
    assert series.histograms[0].zero_threshold == 1e-128


@pytest.mark.parametrize(
    ("unit", "name", "expected", "source"),
    [
        (
            "s",
            "d_seconds",
            "seconds",
            "spec: Metric Metadata; Collector BuildCompliantPrometheusUnit",
        ),
        ("By/s", "d_bytes_per_second", "bytes_per_second", "otlptranslator: complex per unit"),
        ("1", "d_ratio", "", "spec: Metric Metadata (dimensionless)"),
        ("{request}", "d", "", "spec: Metric Metadata (brackets dropped)"),
        ("ms", "d_milliseconds", "milliseconds", "otlptranslator: metric with time unit"),
    ],
)
def test_metadata_unit_is_the_converted_unit(
    unit: str, name: str, expected: str, source: str
) -> None:
    md = data(gauge("d", number(1), unit=unit))
    settings = TranslationSettings(send_metadata=True, add_scope_labels=False, target_info=False)
    requests = _encode_twice(md, settings)
    metadata = {m.metric_family_name: m.unit for r in requests for m in decode(r).metadata}
    assert metadata == {name: expected}, source


@pytest.mark.parametrize(
    ("attributes", "source"),
    [
        ({"name": "fake"}, SCOPE_SPEC + ": conflicts with otel_scope_name are dropped"),
        ({"version": "9.9"}, SCOPE_SPEC + ": conflicts with otel_scope_version are dropped"),
        ({"schema.url": "x"}, SCOPE_SPEC + ": conflicts with otel_scope_schema_url are dropped"),
        ({"schema_url": "x"}, SCOPE_SPEC + ": conflicts with otel_scope_schema_url are dropped"),
        ({"Name": "kept"}, SCOPE_SPEC + ": only exact conflicts are dropped"),
    ],
)
def test_scope_attributes_never_stand_in_for_the_scopes_own_labels(
    attributes: dict[str, str], source: str
) -> None:
    scope = InstrumentationScope(
        "lib", "1.2", "https://opentelemetry.io/schemas/1.31.0", attributes
    )
    md = data(gauge("g", number(1)), scope=scope)
    (labels,) = merged(_encode_twice(md, SCOPED))
    got = dict(labels)
    assert got["otel_scope_name"] == "lib", source
    assert got["otel_scope_version"] == "1.2", source
    assert got["otel_scope_schema_url"] == "https://opentelemetry.io/schemas/1.31.0", source
    if "Name" in attributes:
        assert got["otel_scope_Name"] == "kept"


@pytest.mark.parametrize(
    ("metric", "kept", "source"),
    [
        (gauge, False, "spec: Gauges (exemplars SHOULD be dropped)"),
        (updown, False, "spec: Sums (non-monotonic: as gauges, exemplars SHOULD be dropped)"),
        (counter, True, "spec: Sums (monotonic: exemplars MUST be converted)"),
    ],
)
def test_exemplars_go_on_counters_and_histograms_only(metric: Any, kept: bool, source: str) -> None:
    exemplar = Exemplar({}, 2.0, T1, span_id=1, trace_id=2)
    point = type(number(1))({}, T1 - 1, T1, 3, [exemplar])
    md = data(metric("m", point), histogram("h", hist_point([1], [0, 1], 2.0)))
    series = merged(_encode_twice(md, BARE))
    with_exemplars = sorted(
        dict(labels)["__name__"] for labels, ts in series.items() if ts.exemplars
    )
    assert with_exemplars == (["m_total"] if kept else []), source
    assert values(_encode_twice(md, BARE))  # the point itself is always sent


def test_target_info_carries_the_external_labels_it_lacks() -> None:
    """README: external labels are "added to every series"; the Collector's
    prometheusremotewrite exporter adds them to target_info too."""
    settings = TranslationSettings(
        add_scope_labels=False, external_labels={"cluster": "eu-1", "host": "ignored"}
    )
    md = data(gauge("g", number(1)), resource={"service.name": "api", "host": "h1"})
    assert _series(md, settings) == {
        'g{cluster="eu-1",host="ignored",job="api"}': 1,
        'target_info{cluster="eu-1",host="h1",job="api"}': 1,
    }


def test_the_namespace_is_made_valid_for_target_info_as_for_every_name() -> None:
    """otlptranslator metric_namer_test.go: "namespace with special characters"."""
    settings = TranslationSettings(add_scope_labels=False, namespace="my-app")
    md = data(gauge("g", number(1)), resource={"service.name": "api", "host": "h1"})
    assert _series(md, settings) == {
        'my_app_g{job="api"}': 1,
        'my_app_target_info{host="h1",job="api"}': 1,
    }


# -- rules that changed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "label", "source"),
    [
        (
            "label__with__double__underscores",
            "label_with_double_underscores",
            "spec: Metric Attributes",
        ),
        ("trailing___", "trailing_", "otlptranslator label_namer_test.go"),
        ("http.request..method", "http_request_method", "spec: Metric Attributes"),
        ("_private", "_private", "otlptranslator label_namer_test.go (no `key` before `_`)"),
        ("__reserved__label__", "__reserved_label__", "otlptranslator label_namer_test.go"),
    ],
)
def test_label_names_collapse_runs_of_underscores(key: str, label: str, source: str) -> None:
    md = data(gauge("g", number(1, {key: "v"})))
    (labels,) = merged(_encode_twice(md, BARE))
    assert dict(labels) == {
        "__name__": "g",
        "instance": "i-1",
        "job": "shop/api",
        label: "v",
    }, source


def test_an_attribute_named___name___never_renames_the_series() -> None:
    """otlptranslator keeps `__name__` as it is; the series' own name then wins, as in
    Prometheus' OTLP receiver."""
    md = data(gauge("g", number(1, {"__name__": "other", "a": "b"})))
    assert _series(md, BARE) == {f'g{{a="b",{ID}}}': 1}


def test_the_scope_schema_url_is_a_label_and_scope_attributes_are_prefixed() -> None:
    """spec: Instrumentation Scope (otel_scope_schema_url: spec #4505)."""
    scope = InstrumentationScope("lib", "1.2", "https://s/1.0", {"tier": "gold", "a..b": "c"})
    md = data(gauge("g", number(1)), scope=scope)
    assert _series(md, SCOPED) == {
        f'g{{{ID},otel_scope_a_b="c",otel_scope_name="lib",otel_scope_schema_url="https://s/1.0",'
        'otel_scope_tier="gold",otel_scope_version="1.2"}': 1
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [(float("inf"), "Infinity"), (float("-inf"), "-Infinity"), (float("nan"), "NaN")],
)
def test_float_attribute_values_by_the_anyvalue_representation(value: float, text: str) -> None:
    """spec: common, AnyValue representation for non-OTLP protocols (2026-02)."""
    md = data(gauge("g", number(1, {"limit": value})))
    assert _series(md, BARE) == {f'g{{{ID},limit="{text}"}}': 1}


@pytest.mark.parametrize(
    ("settings", "promoted"),
    [
        (TranslationSettings(), {}),
        (
            TranslationSettings(promoted_resource_attributes=frozenset({"cloud.region"})),
            {"cloud_region": "eu-west-1"},
        ),
        (
            TranslationSettings(
                resource_to_telemetry_conversion=True,
                ignored_resource_attributes=frozenset({"host.name", "service.instance.id"}),
            ),
            {"cloud_region": "eu-west-1", "service_name": "api"},
        ),
    ],
)
def test_promoted_resource_attributes_go_on_every_series(
    settings: TranslationSettings, promoted: dict[str, str]
) -> None:
    """Prometheus: promote_resource_attributes, ignore_resource_attributes."""
    resource = {
        "service.name": "api",
        "service.instance.id": "i-1",
        "cloud.region": "eu-west-1",
        "host.name": "h1",
    }
    settings = replace(settings, add_scope_labels=False, target_info=False)
    md = data(gauge("g", number(1)), resource=resource)
    (labels,) = merged(_encode_twice(md, settings))
    assert dict(labels) == {"__name__": "g", "instance": "i-1", "job": "api", **promoted}
