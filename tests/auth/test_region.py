"""Region and service: inferred from AMP hosts, resolved in a fixed order, checked early."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth.errors import RegionError
from auth.region import SigningScope, check_region, infer_scope, resolve_region


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("aps-workspaces.us-east-1.amazonaws.com", "us-east-1"),
        (
            "https://aps-workspaces.eu-west-2.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
            "eu-west-2",
        ),
        ("aps-workspaces-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("https://aps-workspaces-fips.us-east-2.amazonaws.com:443/x", "us-east-2"),
        ("aps-workspaces.ap-southeast-2.api.aws", "ap-southeast-2"),
        ("aps-workspaces.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        ("aps-workspaces.cn-northwest-1.api.amazonwebservices.com.cn", "cn-northwest-1"),
        ("vpce-0a1b-2c3d.aps-workspaces.us-west-2.vpce.amazonaws.com", "us-west-2"),
        ("APS-WORKSPACES.US-EAST-1.AMAZONAWS.COM.", "us-east-1"),
        ("aps-workspaces.eu-central-1.amazonaws.com:8443", "eu-central-1"),
    ],
)
def test_infers_region_and_service_from_amp_hosts(endpoint: str, region: str) -> None:
    assert infer_scope(endpoint) == SigningScope(region, "aps")


@pytest.mark.parametrize(
    "endpoint",
    [
        "prometheus.example.com",
        "http://127.0.0.1:9090/api/v1/write",
        "aps.us-east-1.amazonaws.com",  # the control plane, not the workspace endpoint
        "aps-workspaces.us-east-1.amazonaws.com.evil.example",
        "evil.example/aps-workspaces.us-east-1.amazonaws.com",
        "aps-workspaces..amazonaws.com",
        "",
    ],
)
def test_other_hosts_infer_nothing(endpoint: str) -> None:
    assert infer_scope(endpoint) is None


AMP = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write"


def test_explicit_region_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-west-1")
    assert resolve_region("ap-south-1", endpoint=AMP) == "ap-south-1"


def test_inferred_region_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-west-1")
    assert resolve_region(None, endpoint=AMP) == "eu-west-1"


def test_blank_explicit_region_falls_through() -> None:
    assert resolve_region("  ", endpoint=AMP) == "eu-west-1"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AWS_REGION": "us-west-1", "AWS_DEFAULT_REGION": "us-west-2"}, "us-west-1"),
        ({"AWS_DEFAULT_REGION": "us-west-2"}, "us-west-2"),
        ({"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2"}, "us-west-2"),
    ],
)
def test_environment_fallbacks(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert resolve_region(None, endpoint="https://prometheus.example.com/api/v1/write") == expected


def _write_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> None:
    config = tmp_path / "config"
    config.write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))


def test_profile_region_is_the_last_fallback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _write_config(monkeypatch, tmp_path, "[profile amp]\nregion = sa-east-1\n")
    assert resolve_region(profile="amp") == "sa-east-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert resolve_region(profile="amp") == "us-west-2"


def test_missing_profile_names_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _write_config(monkeypatch, tmp_path, "[profile other]\nregion = sa-east-1\n")
    with pytest.raises(RegionError, match=r"aws_auth\.profile: profile 'amp'"):
        resolve_region(profile="amp")


def test_no_region_anywhere_says_to_set_aws_auth_region() -> None:
    with pytest.raises(RegionError, match=r"set aws_auth\.region"):
        resolve_region(None, endpoint="https://prometheus.example.com/api/v1/write")


@pytest.mark.parametrize("bad", ["", " ", "US-EAST-1", "us east 1", "us-east-1 "])
def test_unusable_regions_are_rejected_before_signing(bad: str) -> None:
    with pytest.raises(RegionError, match=r"aws_auth\.region"):
        check_region(bad)
