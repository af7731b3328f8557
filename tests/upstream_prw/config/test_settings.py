"""RemoteWriteSettings: defaults, parsing, and the exact message of every rejection."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml

from upstream_prw.config import (
    BasicAuthSettings,
    CacheSettings,
    LimitsSettings,
    QueueSettings,
    RemoteWriteSettings,
    ResourceConstantLabels,
    RetrySettings,
    TLSSettings,
)
from upstream_prw.errors import ConfigError
from upstream_prw.translate.settings import TranslationSettings

_CASES: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "config_errors.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("name", sorted(_CASES))
def test_bad_config_is_rejected_with_its_message(name: str) -> None:
    case = _CASES[name]
    with pytest.raises(ConfigError) as raised:
        RemoteWriteSettings.from_mapping(case["config"], case.get("path", ""))
    assert str(raised.value) == case["error"]


def test_defaults_are_the_collectors() -> None:
    settings = RemoteWriteSettings.from_mapping({"endpoint": "http://h:9090/api/v1/write"})
    assert settings == RemoteWriteSettings(endpoint="http://h:9090/api/v1/write")
    assert settings.namespace == ""
    assert dict(settings.headers) == {}
    assert settings.timeout == 5.0
    assert settings.tls == TLSSettings()
    assert settings.tls.insecure_skip_verify is False
    assert settings.proxy_url is None
    assert settings.basic_auth is None
    assert settings.bearer_token is None
    assert settings.bearer_token_file is None
    assert dict(settings.external_labels) == {}
    assert settings.resource_to_telemetry_conversion.enabled is False
    assert settings.target_info.enabled is True
    assert settings.translation_strategy == "UnderscoreEscapingWithSuffixes"
    assert (settings.add_metric_suffixes, settings.add_scope_labels) == (None, None)  # aliases
    assert settings.disable_scope_info is None
    assert settings.resource_constant_labels == ResourceConstantLabels()
    assert settings.convert_explicit_histograms_to_nhcb is False
    assert settings.keep_classic_histograms is False
    assert settings.send_native_histograms is True
    assert settings.classic_histogram_bucket_limit == 40
    assert settings.translation_settings() == TranslationSettings()
    assert settings.limits == LimitsSettings(max_labels_per_series=0, max_help_bytes=0)
    assert settings.send_metadata is False
    assert settings.max_batch_size_bytes == 3_000_000
    assert settings.retry_on_failure == RetrySettings(
        enabled=True,
        initial_interval=0.05,
        max_interval=30.0,
        max_elapsed_time=300.0,
        multiplier=1.5,
        randomization_factor=0.5,
    )
    assert settings.remote_write_queue == QueueSettings(
        enabled=True, queue_size=10000, num_consumers=5
    )
    assert settings.send_stale_markers_on_shutdown is True
    assert settings.encoder_caches == CacheSettings(
        max_label_templates=4096,
        max_label_values=8192,
        max_bucket_layouts=64,
        max_entry_templates=256,
    )


def test_every_key_is_read() -> None:
    settings = RemoteWriteSettings.from_mapping(
        {
            "endpoint": "https://mimir.example:443/api/v1/push",
            "namespace": "app",
            "headers": {"X-Scope-OrgID": "tenant-1"},
            "timeout": "10s",
            "tls": {
                "ca_file": "/etc/ca.pem",
                "cert_file": "/etc/c.pem",
                "key_file": "/etc/k.pem",
                "insecure_skip_verify": True,
            },
            "proxy_url": "http://proxy:3128",
            "basic_auth": {"username": "u", "password_file": "/run/pw"},
            "external_labels": {"cluster": "eu-1"},
            "resource_to_telemetry_conversion": {"enabled": True},
            "target_info": {"enabled": False},
            "disable_scope_info": True,
            "translation_strategy": "UnderscoreEscapingWithoutSuffixes",
            "resource_constant_labels": {"excluded": ["host.name"]},
            "convert_explicit_histograms_to_nhcb": True,
            "keep_classic_histograms": True,
            "classic_histogram_bucket_limit": 20,
            "send_metadata": True,
            "max_batch_size_bytes": 1000,
            "retry_on_failure": {
                "enabled": False,
                "initial_interval": "1s",
                "max_interval": "1m",
                "max_elapsed_time": "1h",
                "multiplier": 2,
                "randomization_factor": 0,
            },
            "remote_write_queue": {"enabled": False, "queue_size": 10, "num_consumers": 1},
            "send_stale_markers_on_shutdown": False,
            "encoder_caches": {
                "max_label_templates": 10,
                "max_label_values": 20,
                "max_bucket_layouts": 3,
                "max_entry_templates": 4,
            },
        }
    )
    assert settings.encoder_caches == CacheSettings(
        max_label_templates=10, max_label_values=20, max_bucket_layouts=3, max_entry_templates=4
    )
    assert settings.headers == {"X-Scope-OrgID": "tenant-1"}
    assert settings.timeout == 10.0
    assert settings.tls.key_file == "/etc/k.pem"
    assert settings.basic_auth == BasicAuthSettings(username="u", password_file="/run/pw")
    assert settings.retry_on_failure.max_elapsed_time == 3600.0
    assert settings.retry_on_failure.multiplier == 2.0
    assert settings.remote_write_queue.num_consumers == 1
    assert settings.translation_settings() == TranslationSettings(
        namespace="app",
        add_metric_suffixes=False,
        resource_to_telemetry_conversion=True,
        target_info=False,
        add_scope_labels=False,
        send_metadata=True,
        external_labels={"cluster": "eu-1"},
        ignored_resource_attributes=frozenset({"host.name"}),
        nhcb=True,
        keep_classic_histograms=True,
        classic_bucket_limit=20,
    )


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        ("50ms", 0.05),
        ("5s", 5.0),
        ("1m", 60.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        ("1h2m3s4ms", 3723.004),
        ("1.5s", 1.5),
        ("0", 0.0),
        ("0s", 0.0),
        ("250us", 0.00025),
        (" 2s ", 2.0),
        (7, 7.0),
        (0.25, 0.25),
    ],
)
def test_durations(given: object, seconds: float) -> None:
    retry = RetrySettings.from_mapping({"max_elapsed_time": given})
    assert retry.max_elapsed_time == pytest.approx(seconds)
    assert isinstance(retry.max_elapsed_time, float)


@pytest.mark.parametrize("given", ["", "5", "s", "5 s", "-5s", "5d", "1m30", "fast", "1e3s"])
def test_malformed_durations(given: str) -> None:
    with pytest.raises(ConfigError) as raised:
        RetrySettings.from_mapping({"max_interval": given}, "retry_on_failure")
    assert raised.value.path == "retry_on_failure.max_interval"
    assert raised.value.problem.startswith('expected a duration like "30s", got "')


def test_direct_construction_is_validated_the_same_way() -> None:
    with pytest.raises(ConfigError, match=r'^headers.User-Agent: "User-Agent" is a reserved'):
        RemoteWriteSettings(endpoint="http://h/w", headers={"User-Agent": "x"})
    with pytest.raises(ConfigError, match=r"^endpoint: expected an http or https URL"):
        RemoteWriteSettings(endpoint="h/w")
    with pytest.raises(ConfigError, match=r"^timeout: expected a duration"):
        RemoteWriteSettings(endpoint="http://h/w", timeout="5s")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^multiplier: must be at least 1"):
        RetrySettings(multiplier=0.9)
    with pytest.raises(ConfigError, match=r"^tls: expected TLSSettings, got dict"):
        RemoteWriteSettings(endpoint="http://h/w", tls={"ca_file": "x"})  # type: ignore[arg-type]


def test_maps_are_copied_read_only() -> None:
    headers = {"X-Scope-OrgID": "a"}
    settings = RemoteWriteSettings(endpoint="http://h/w", headers=headers)
    headers["X-Scope-OrgID"] = "changed"
    assert settings.headers["X-Scope-OrgID"] == "a"
    assert isinstance(settings.headers, MappingProxyType)
    assert isinstance(settings.external_labels, MappingProxyType)


def test_secrets_stay_out_of_repr() -> None:
    settings = RemoteWriteSettings.from_mapping(
        {
            "endpoint": "http://h/w",
            "bearer_token": "tok-SECRET-1",
            "headers": {"X-Api-Key": "key-SECRET-2"},
            "proxy_url": "http://user:pw-SECRET-3@proxy:3128",
        }
    )
    basic = BasicAuthSettings(username="u", password="pw-SECRET-4")
    text = repr(settings) + str(settings) + repr(basic)
    assert "SECRET" not in text
    assert "http://h/w" in text


def test_bearer_token_file_is_not_read_while_parsing(tmp_path: Path) -> None:
    missing = tmp_path / "not-there"
    settings = RemoteWriteSettings.from_mapping(
        {"endpoint": "http://h/w", "bearer_token_file": str(missing)}
    )
    assert settings.bearer_token_file == str(missing)
