"""The translation keys under the Collector's names: defaults, the older keys they replace,
their conflicts, and what reaches the translator."""

from __future__ import annotations

import pytest
import yaml

from upstream_prw.config import RemoteWriteSettings, ResourceConstantLabels
from upstream_prw.config import translation as keys
from upstream_prw.errors import ConfigError
from upstream_prw.translate.settings import TranslationSettings

ENDPOINT = "http://h/api/v1/write"

COLLECTOR_BLOCK = """
endpoint: https://prometheus.example:9090/api/v1/write
namespace: shop
timeout: 10s
external_labels: {cluster: eu-1}
translation_strategy: UnderscoreEscapingWithoutSuffixes
disable_scope_info: true
resource_constant_labels:
  included: [deployment.environment.name, cloud.region]
convert_explicit_histograms_to_nhcb: true
keep_classic_histograms: true
send_metadata: true
target_info: {enabled: true}
remote_write_queue: {enabled: true, queue_size: 2000, num_consumers: 4}
retry_on_failure: {enabled: true, initial_interval: 50ms, max_interval: 30s, max_elapsed_time: 5m}
"""


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deprecation warnings come once a process; each test starts from none given."""
    monkeypatch.setattr(keys, "_warned", set())


def _read(**block: object) -> RemoteWriteSettings:
    return RemoteWriteSettings.from_mapping({"endpoint": ENDPOINT, **block})


def test_a_collector_exporter_block_with_the_new_keys_loads() -> None:
    settings = RemoteWriteSettings.from_mapping(yaml.safe_load(COLLECTOR_BLOCK))
    assert settings.translation_settings() == TranslationSettings(
        namespace="shop",
        add_metric_suffixes=False,
        promoted_resource_attributes=frozenset({"deployment.environment.name", "cloud.region"}),
        add_scope_labels=False,
        send_metadata=True,
        external_labels={"cluster": "eu-1"},
        nhcb=True,
        keep_classic_histograms=True,
    )


@pytest.mark.parametrize(
    ("block", "suffixes"),
    [
        ({}, True),
        ({"translation_strategy": "UnderscoreEscapingWithSuffixes"}, True),
        ({"translation_strategy": "UnderscoreEscapingWithoutSuffixes"}, False),
    ],
)
def test_translation_strategy_sets_the_suffixes(block: dict[str, str], suffixes: bool) -> None:
    assert _read(**block).translation_settings().add_metric_suffixes is suffixes


@pytest.mark.parametrize(
    ("alias", "strategy"),
    [(False, "UnderscoreEscapingWithoutSuffixes"), (True, "UnderscoreEscapingWithSuffixes")],
)
def test_add_metric_suffixes_is_a_deprecated_alias_warned_about_once(
    alias: bool, strategy: str
) -> None:
    with pytest.warns(FutureWarning, match=r"^add_metric_suffixes is deprecated; use"):
        settings = _read(add_metric_suffixes=alias)
    assert settings.translation_strategy == strategy
    assert settings.translation_settings().add_metric_suffixes is alias
    _read(add_metric_suffixes=alias)  # no second warning: filterwarnings=error would raise


def test_the_alias_agreeing_with_the_strategy_is_accepted() -> None:
    with pytest.warns(FutureWarning):
        settings = _read(
            add_metric_suffixes=False, translation_strategy="UnderscoreEscapingWithoutSuffixes"
        )
    assert settings.translation_strategy == "UnderscoreEscapingWithoutSuffixes"


@pytest.mark.parametrize(
    ("block", "scope_labels"),
    [
        ({}, True),
        ({"disable_scope_info": True}, False),
        ({"disable_scope_info": False}, True),
        ({"add_scope_labels": False}, False),
        ({"add_scope_labels": True, "disable_scope_info": False}, True),
    ],
)
def test_disable_scope_info_is_the_inverse_of_add_scope_labels(
    block: dict[str, bool], scope_labels: bool
) -> None:
    assert _read(**block).translation_settings().add_scope_labels is scope_labels


@pytest.mark.parametrize(
    ("block", "promoted"),
    [
        ({}, set()),
        ({"resource_constant_labels": {}}, set()),
        ({"resource_constant_labels": {"included": ["a", "b"]}}, {"a", "b"}),
        ({"resource_constant_labels": {"excluded": ["a"]}}, {"b", "c", "service.name"}),
        ({"resource_constant_labels": {"excluded": []}}, {"a", "b", "c", "service.name"}),
        ({"resource_to_telemetry_conversion": {"enabled": True}}, {"a", "b", "c", "service.name"}),
        (
            {
                "resource_to_telemetry_conversion": {"enabled": True},
                "resource_constant_labels": {"excluded": ["c"]},
            },
            {"a", "b", "service.name"},
        ),
    ],
)
def test_which_resource_attributes_are_promoted(
    block: dict[str, object], promoted: set[str]
) -> None:
    translation = _read(**block).translation_settings()
    attributes = ("a", "b", "c", "service.name")
    assert {key for key in attributes if translation.promotes(key)} == promoted


def test_resource_constant_labels_direct_construction_is_checked() -> None:
    assert ResourceConstantLabels(included=["x"]).included == ("x",)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^excluded: cannot be combined with included"):
        ResourceConstantLabels(included=("x",), excluded=("y",))


def test_histogram_switches_reach_the_translator() -> None:
    translation = _read(
        send_native_histograms=False, classic_histogram_bucket_limit=12
    ).translation_settings()
    assert (translation.native_histograms, translation.classic_bucket_limit) == (False, 12)
    assert (translation.nhcb, translation.keep_classic_histograms) == (False, False)
