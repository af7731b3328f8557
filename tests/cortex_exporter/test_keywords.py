"""The wrapper's keyword forms: `new_exporter(endpoint=..., aws_auth={...})` and the entry
point class `AutoConfiguredExporter(**block)`, with the environment around them."""

from __future__ import annotations

from pathlib import Path

import pytest

import upstream_prw
from cortex_exporter import AuthSettings, AutoConfiguredExporter, ConfigError, new_exporter
from cortex_exporter.cli.receiver import InspectionReceiver
from cortex_exporter.environment import (
    ENV_AWS_AUTH,
    ENV_AWS_REGION,
    ENV_CONFIG,
    ENV_ENDPOINT,
    ENV_HEADERS,
    ENV_TIMEOUT,
    config_from_keywords,
)
from tests.cortex_exporter.support import one_counter

SIGNED = {"enabled": True, "region": "us-east-1"}


@pytest.mark.usefixtures("env_credentials")
def test_new_exporter_with_keywords_signs(receiver: InspectionReceiver) -> None:
    exporter = new_exporter(endpoint=receiver.url, aws_auth=SIGNED, namespace="shop")
    assert type(exporter) is upstream_prw.PrometheusRemoteWriteExporter
    assert exporter.export(one_counter()).name == "SUCCESS"
    exporter.shutdown()
    written = receiver.received
    assert written and all(w.signature_ok for w in written)
    assert "shop_wrapper_test_requests_total" in {s.name for w in written for s in w.series}


def test_new_exporter_keyword_errors_name_the_key() -> None:
    with pytest.raises(ConfigError) as raised:
        new_exporter(endpoint="http://h/w", aws_auth={"enabeld": True})
    assert str(raised.value) == 'aws_auth.enabeld: unknown key; did you mean "enabled"?'
    with pytest.raises(ConfigError) as raised:
        new_exporter(endpoint="http://h/w", aws_auth={"enabled": True}, bearer_token="t")
    assert str(raised.value) == (
        "aws_auth.enabled: cannot be combined with bearer_token; remove one of them"
    )
    with pytest.raises(ConfigError) as raised:
        new_exporter()
    assert str(raised.value) == "endpoint: required key is missing"


def test_new_exporter_refuses_a_config_and_keywords_together() -> None:
    with pytest.raises(TypeError) as raised:
        new_exporter({"endpoint": "http://h/w"}, endpoint="http://h/w")
    assert str(raised.value) == (
        "new_exporter() takes settings or config keywords, not both (got endpoint)"
    )


@pytest.mark.usefixtures("env_credentials")
def test_the_entry_point_class_takes_its_block_as_keywords(
    receiver: InspectionReceiver,
) -> None:
    exporter = AutoConfiguredExporter(
        endpoint=receiver.url,
        aws_auth=SIGNED,
        remote_write_queue={"num_consumers": 1},
        headers={"X-Scope-OrgID": "team-a"},
    )
    assert isinstance(exporter, upstream_prw.PrometheusRemoteWriteExporter)
    assert exporter.settings.remote_write_queue.num_consumers == 1
    exporter.export(one_counter())
    exporter.shutdown()
    written = receiver.received
    assert written and all(w.signature_ok for w in written)
    assert written[0].header("X-Scope-OrgID") == "team-a"


def test_keywords_win_and_variables_fill_what_they_leave_out() -> None:
    environ = {
        ENV_ENDPOINT: "http://env/w",
        ENV_TIMEOUT: "2500",
        ENV_HEADERS: "X-Env=1",
        ENV_AWS_REGION: "eu-west-1",
        ENV_AWS_AUTH: "false",
    }
    config = config_from_keywords(
        {"endpoint": "http://kw/w", "aws_auth": {"enabled": True}, "namespace": None},
        environ,
    )
    assert config.endpoint == "http://kw/w"
    assert config.remote_write.timeout == 2.5
    assert dict(config.remote_write.headers) == {"X-Env": "1"}
    assert config.remote_write.namespace == ""
    assert config.aws_auth == AuthSettings(enabled=True, region="eu-west-1")
    explicit = config_from_keywords({"endpoint": "http://kw/w", "timeout": "9s"}, environ)
    assert explicit.remote_write.timeout == 9.0


def test_with_keywords_the_file_variable_is_not_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rw.yaml"
    path.write_text("endpoint: http://file/w\nnamespace: fromfile\n", encoding="utf-8")
    config = config_from_keywords({"endpoint": "http://kw/w"}, {ENV_CONFIG: str(path)})
    assert (config.endpoint, config.remote_write.namespace) == ("http://kw/w", "")
    assert f"{ENV_CONFIG} is not read: the exporter was given its config as keywords" in (
        caplog.text
    )


def test_with_keywords_errors_name_the_key_or_the_variable() -> None:
    with pytest.raises(ConfigError) as raised:
        AutoConfiguredExporter(endpoint="http://h/w", remote_write_queue={"num_consumers": 0})
    assert str(raised.value) == "remote_write_queue.num_consumers: must be at least 1, got 0"
    with pytest.raises(ConfigError) as raised:
        config_from_keywords({"aws_auth": {"enabled": True}}, {ENV_ENDPOINT: "ftp://h/w"})
    assert str(raised.value) == f'{ENV_ENDPOINT}: expected an http or https URL, got "ftp://h/w"'
    with pytest.raises(ConfigError) as raised:
        config_from_keywords({"endpoint": "http://h/w"}, {ENV_PREFIX_TYPO: "1000"})
    assert (
        str(raised.value) == f'{ENV_PREFIX_TYPO}: unknown variable; did you mean "{ENV_TIMEOUT}"?'
    )


ENV_PREFIX_TYPO = "OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_TIMEOTU"


def test_none_given_reads_the_environment_as_before(
    monkeypatch: pytest.MonkeyPatch, receiver: InspectionReceiver
) -> None:
    monkeypatch.setenv(ENV_ENDPOINT, receiver.url)
    monkeypatch.setenv(ENV_TIMEOUT, "1500")
    exporter = AutoConfiguredExporter()
    assert (exporter.settings.endpoint, exporter.settings.timeout) == (receiver.url, 1.5)
    exporter.shutdown()
