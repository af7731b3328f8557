"""AMP guard rails: a tenant header warned about, STS reachable from VPC-only and FIPS hosts."""

from __future__ import annotations

import logging

import pytest

from cortex_exporter.config import Config
from cortex_exporter.factory import new_exporter, resolve_source
from tests.auth.test_sts import ROLE, caller_arn
from tests.cortex_exporter.support import AMP_ENDPOINT
from tests.upstream_prw.builders import data, gauge, number
from upstream_prw.errors import ConfigError


def _role(**extra: object) -> dict[str, object]:
    return {
        "endpoint": AMP_ENDPOINT,
        "aws_auth": {"enabled": True, "assume_role": {"arn": ROLE, **extra}},
    }


def test_a_tenant_header_to_amp_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    config = {
        "endpoint": AMP_ENDPOINT,
        "headers": {"X-Scope-OrgID": "team-a"},
        "aws_auth": {"enabled": True},
    }
    with caplog.at_level(logging.WARNING, logger="cortex_exporter"):
        exporter = new_exporter(config)
    exporter.shutdown()
    (record,) = caplog.records
    assert record.getMessage().startswith(
        "headers.X-Scope-OrgID: Amazon Managed Service for Prometheus rejects requests"
    )
    assert "team-a" not in caplog.text


def test_a_tenant_header_elsewhere_is_fine(caplog: pytest.LogCaptureFixture) -> None:
    config = {"endpoint": "http://mimir:8080/api/v1/push", "headers": {"X-Scope-OrgID": "a"}}
    with caplog.at_level(logging.WARNING, logger="cortex_exporter"):
        new_exporter(config).shutdown()
    assert caplog.records == []


def test_sts_settings_are_read() -> None:
    config = Config.from_mapping(
        {**_role(sts_endpoint="https://vpce-1.sts.us-east-1.vpce.amazonaws.com")}
    )
    assert config.aws_auth.assume_role is not None
    assert config.aws_auth.assume_role.sts_endpoint.startswith("https://vpce-1.")
    data = _role()
    data["aws_auth"]["use_fips_sts_endpoint"] = True  # type: ignore[index]
    assert Config.from_mapping(data).aws_auth.use_fips_sts_endpoint


BAD = {
    "http://sts.us-east-1.amazonaws.com": (
        "aws_auth.assume_role.sts_endpoint: must be an https URL (http only for 127.0.0.1)"
    ),
    "https://user:pw@sts.example.com": (
        "aws_auth.assume_role.sts_endpoint: must not contain credentials; "
        "use basic_auth or bearer_token"
    ),
    "ftp://sts.example.com": "aws_auth.assume_role.sts_endpoint: expected an https or http URL",
    "https://sts.example.com/?a=b": (
        "aws_auth.assume_role.sts_endpoint: must not have a query or fragment"
    ),
}


@pytest.mark.parametrize("url", sorted(BAD))
def test_a_bad_sts_endpoint_names_the_key_and_never_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_mapping(_role(sts_endpoint=url))
    assert str(caught.value).startswith(BAD[url])
    assert "pw" not in str(caught.value)


def test_fips_without_a_role_says_where_fips_goes() -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_mapping(
            {"endpoint": AMP_ENDPOINT, "aws_auth": {"enabled": True, "use_fips_sts_endpoint": True}}
        )
    assert str(caught.value).startswith("aws_auth.use_fips_sts_endpoint: only used to assume")
    assert "AWS_USE_FIPS_ENDPOINT=true" in str(caught.value)


def test_the_role_is_assumed_through_the_configured_endpoint(
    monkeypatch: pytest.MonkeyPatch, _moto: str
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDBASEEXAMPLE00001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "base/secret/example")
    config = Config.from_mapping(_role(sts_endpoint=_moto, session_name="vpc-only"))
    frozen = resolve_source(config.aws_auth, "eu-west-2").get_frozen_credentials()
    assert caller_arn(frozen, _moto).endswith("assumed-role/amp-writer/vpc-only")


@pytest.mark.parametrize(
    ("config", "limits"),
    [
        ({"endpoint": AMP_ENDPOINT, "aws_auth": {"enabled": True}}, (70, 1024)),
        (  # set by the user: theirs
            {
                "endpoint": AMP_ENDPOINT,
                "aws_auth": {"enabled": True},
                "limits": {"max_labels_per_series": 40},
            },
            (40, 0),
        ),
        ({"endpoint": "http://mimir:8080/api/v1/push"}, (0, 0)),  # not AMP: none
    ],
)
def test_amp_gets_its_label_and_help_limits(
    config: dict[str, object], limits: tuple[int, int]
) -> None:
    exporter = new_exporter(config)
    try:
        got = exporter.settings.limits
        assert (got.max_labels_per_series, got.max_help_bytes) == limits
    finally:
        exporter.shutdown(timeout_millis=100)


def test_a_series_over_amps_70_labels_is_reported_by_its_metric(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = {
        "endpoint": AMP_ENDPOINT,
        "aws_auth": {"enabled": True},
        "remote_write_queue": {"enabled": False},
        "retry_on_failure": {"enabled": False},
        "timeout": "200ms",
        "send_stale_markers_on_shutdown": False,
    }
    exporter = new_exporter(config)
    try:
        report = exporter._encoder.encode(
            data(gauge("wide", number(1, {f"k{i}": "v" for i in range(70)}))), lambda _: None
        )
    finally:
        exporter.shutdown(timeout_millis=100)
    (dropped,) = report.dropped
    assert (dropped.metric, dropped.reason) == (
        "wide",
        # 70 attributes, __name__, job, instance, otel_scope_name and otel_scope_version
        "a series of it has 75 labels, more than the 70 allowed",
    )
