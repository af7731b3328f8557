"""Config: every upstream key unchanged, the `aws_auth` block, and exact error messages."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from cortex_exporter import AssumeRoleSettings, AuthSettings, Config, ConfigError
from cortex_exporter.config import REMOTE_WRITE_KEYS
from cortex_exporter.loading import read_yaml
from upstream_prw import RemoteWriteSettings

_CASES: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "config_errors.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("name", sorted(_CASES))
def test_bad_config_is_rejected_with_its_message(name: str) -> None:
    case = _CASES[name]
    with pytest.raises(ConfigError) as raised:
        if "yaml" in case:
            Config.from_mapping(read_yaml(case["yaml"], environ=case.get("env", {})))
        else:
            Config.from_mapping(case["config"], case.get("path", ""))
    assert str(raised.value) == case["error"]


def test_defaults() -> None:
    config = Config.from_mapping({"endpoint": "http://h:9090/api/v1/write"})
    assert config.remote_write == RemoteWriteSettings(endpoint="http://h:9090/api/v1/write")
    assert config.aws_auth == AuthSettings()
    assert config.aws_auth.enabled is False
    assert config.aws_auth.region == ""
    assert config.aws_auth.service == "aps"
    assert config.aws_auth.profile is None
    assert config.aws_auth.assume_role is None
    assert config.endpoint == "http://h:9090/api/v1/write"


def test_every_upstream_key_is_accepted_and_handed_over_unchanged() -> None:
    upstream: dict[str, Any] = {
        "endpoint": "https://prw.example/api/v1/write",
        "namespace": "app",
        "headers": {"X-Scope-OrgID": "tenant-1"},
        "timeout": "7s",
        "tls": {"insecure_skip_verify": True},
        "proxy_url": "http://proxy:3128",
        "basic_auth": {"username": "u", "password": "p"},
        "external_labels": {"cluster": "c1"},
        "resource_to_telemetry_conversion": {"enabled": True},
        "target_info": {"enabled": False},
        "disable_scope_info": True,
        "translation_strategy": "UnderscoreEscapingWithoutSuffixes",
        "resource_constant_labels": {"excluded": ["host.name"]},
        "convert_explicit_histograms_to_nhcb": True,
        "keep_classic_histograms": True,
        "send_native_histograms": True,
        "classic_histogram_bucket_limit": 10,
        "send_metadata": True,
        "max_batch_size_bytes": 1000,
        "retry_on_failure": {"max_elapsed_time": "1m"},
        "remote_write_queue": {"num_consumers": 2},
        "send_stale_markers_on_shutdown": False,
        "encoder_caches": {"max_label_values": 100},
        "limits": {"max_labels_per_series": 70, "max_help_bytes": 1024},
        "protobuf_message": "prometheus.WriteRequest",
    }
    aliases = {"add_metric_suffixes", "add_scope_labels"}  # the deprecated names
    assert set(upstream) | {"bearer_token", "bearer_token_file"} | aliases == REMOTE_WRITE_KEYS
    config = Config.from_mapping({**upstream, "aws_auth": {"region": "eu-west-1"}})
    assert config.remote_write == RemoteWriteSettings.from_mapping(upstream)
    assert config.aws_auth == AuthSettings(region="eu-west-1")


def test_full_aws_auth_block() -> None:
    config = Config.from_mapping(
        {
            "endpoint": "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
            "aws_auth": {
                "enabled": True,
                "region": "us-west-2",
                "service": "aps",
                "profile": "metrics",
                "assume_role": {
                    "arn": "arn:aws:iam::123456789012:role/amp-writer",
                    "external_id": "ext-1234",
                    "session_name": "otel@host-1",
                    "sts_region": "us-west-2",
                },
            },
        }
    )
    assert config.aws_auth.assume_role == AssumeRoleSettings(
        arn="arn:aws:iam::123456789012:role/amp-writer",
        external_id="ext-1234",
        session_name="otel@host-1",
        sts_region="us-west-2",
    )
    assert config.aws_auth.profile == "metrics"


def test_other_partitions_role_arns_are_accepted() -> None:
    for arn in ("arn:aws-cn:iam::123456789012:role/r", "arn:aws-us-gov:iam::123456789012:role/p/r"):
        assert AssumeRoleSettings(arn=arn).arn == arn


def test_an_empty_region_means_infer() -> None:
    config = Config.from_mapping({"endpoint": "http://h/w", "aws_auth": {"region": None}})
    assert config.aws_auth.region == ""


def test_path_prefix_applies_to_upstream_and_aws_auth_alike() -> None:
    with pytest.raises(ConfigError, match=r"^exporters\.prw\.endpoint: required key is missing$"):
        Config.from_mapping({}, "exporters.prw")


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ConfigError, match=r'^region: "EU" is not an AWS region code'):
        AuthSettings(region="EU")
    settings = RemoteWriteSettings(endpoint="http://h/w", bearer_token="t")
    with pytest.raises(ConfigError, match=r"^aws_auth\.enabled: cannot be combined with bearer"):
        Config(remote_write=settings, aws_auth=AuthSettings(enabled=True))


def test_secrets_stay_out_of_repr() -> None:
    config = Config.from_mapping(
        {
            "endpoint": "http://h/w",
            "bearer_token": "tok-SECRET-1",
            "headers": {"X-Api-Key": "hdr-SECRET-2"},
            "proxy_url": "http://user:proxy-SECRET-3@proxy:3128",
            "aws_auth": {
                "assume_role": {
                    "arn": "arn:aws:iam::123456789012:role/r",
                    "external_id": "ext-SECRET-4",
                }
            },
        }
    )
    shown = repr(config)
    assert "SECRET" not in shown
    assert "arn:aws:iam::123456789012:role/r" in shown


def test_config_is_frozen() -> None:
    config = Config.from_mapping({"endpoint": "http://h/w"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.aws_auth = AuthSettings(enabled=True)  # type: ignore[misc]


def test_no_named_case_echoes_a_secret() -> None:
    """Every fixture case whose input holds SECRET is refused without showing it."""
    secret_cases = [case for case in _CASES.values() if "SECRET" in repr(case)]
    assert len(secret_cases) >= 4
    for case in secret_cases:
        assert "SECRET" not in case["error"]


def test_secrets_from_a_file_stay_out_of_repr() -> None:
    text = (
        "endpoint: http://h/w\nheaders:\n  X-Api-Key: ${KEY}\nproxy_url: ${PROXY}\n"
        "basic_auth:\n  username: u\n  password: ${PASSWORD}\n"
    )
    env = {
        "KEY": "key-SECRET-1",
        "PROXY": "http://u:proxy-SECRET-2@proxy:3128",
        "PASSWORD": "pw-SECRET-3\n",
    }
    config = Config.from_mapping(read_yaml(text, environ=env))
    assert config.remote_write.basic_auth is not None
    assert config.remote_write.basic_auth.password == "pw-SECRET-3"
    assert "SECRET" not in repr(config) + str(config)
