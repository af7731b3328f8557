"""Configuration from OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_*: errors name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

import upstream_prw
from cortex_exporter import AuthSettings, AutoConfiguredExporter, ConfigError, config_from_environ
from cortex_exporter.cli.receiver import InspectionReceiver
from cortex_exporter.environment import (
    ENV_AWS_AUTH,
    ENV_AWS_REGION,
    ENV_CONFIG,
    ENV_ENDPOINT,
)
from tests.cortex_exporter.support import AMP_ENDPOINT, one_counter


def _error(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as raised:
        config_from_environ(environ)
    return str(raised.value)


def test_endpoint_alone() -> None:
    config = config_from_environ({ENV_ENDPOINT: "http://127.0.0.1:9090/api/v1/write"})
    assert config.endpoint == "http://127.0.0.1:9090/api/v1/write"
    assert config.aws_auth == AuthSettings()


def test_amp_with_auth_and_region() -> None:
    environ = {ENV_ENDPOINT: AMP_ENDPOINT, ENV_AWS_AUTH: "TRUE", ENV_AWS_REGION: "eu-west-2"}
    config = config_from_environ(environ)
    assert config.aws_auth == AuthSettings(enabled=True, region="eu-west-2")


def test_a_file_with_overrides(tmp_path: Path) -> None:
    path = tmp_path / "rw.yaml"
    path.write_text(
        "endpoint: http://file/w\nnamespace: ${NS}\naws_auth:\n  service: aps\n",
        encoding="utf-8",
    )
    environ = {ENV_CONFIG: str(path), ENV_AWS_AUTH: "1", "NS": "shop"}
    config = config_from_environ(environ)
    assert (config.endpoint, config.remote_write.namespace) == ("http://file/w", "shop")
    assert config.aws_auth == AuthSettings(enabled=True)
    environ[ENV_ENDPOINT] = "http://env/w"
    assert config_from_environ(environ).endpoint == "http://env/w"


def test_nothing_set_says_what_to_set() -> None:
    assert _error({}) == (
        f"{ENV_ENDPOINT}: not set; set it to the remote-write URL, "
        f"or set {ENV_CONFIG} to a YAML file"
    )


def test_bad_flag_names_the_variable() -> None:
    environ = {ENV_ENDPOINT: "http://h/w", ENV_AWS_AUTH: "maybe"}
    assert _error(environ) == f'{ENV_AWS_AUTH}: expected true or false, got "maybe"'


def test_bad_values_are_reported_under_the_variable_that_set_them() -> None:
    assert _error({ENV_ENDPOINT: "h:9090/w"}) == (
        f'{ENV_ENDPOINT}: expected an http or https URL, got "h:9090/w"'
    )
    assert _error({ENV_ENDPOINT: "http://h/w", ENV_AWS_REGION: "EU"}) == (
        f'{ENV_AWS_REGION}: "EU" is not an AWS region code; use lower case, e.g. us-east-1'
    )


def test_a_misspelt_variable_is_refused_with_a_suggestion() -> None:
    environ = {ENV_ENDPOINT: "http://h/w", ENV_PREFIX_TYPO: "us-east-1"}
    assert (
        _error(environ) == f'{ENV_PREFIX_TYPO}: unknown variable; did you mean "{ENV_AWS_REGION}"?'
    )


ENV_PREFIX_TYPO = "OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_REGOIN"


def test_file_errors_name_the_variable_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rw.yaml"
    path.write_text("endpoint: http://h/w\naws_auth: {enabeld: true}\n", encoding="utf-8")
    assert _error({ENV_CONFIG: str(path)}) == (
        f'{ENV_CONFIG}={path}: aws_auth.enabeld: unknown key; did you mean "enabled"?'
    )
    path.write_text("- endpoint\n", encoding="utf-8")
    assert _error({ENV_CONFIG: str(path)}) == f"{ENV_CONFIG}={path}: expected a mapping, got list"
    missing = tmp_path / "missing.yaml"
    assert _error({ENV_CONFIG: str(missing)}) == (
        f"{ENV_CONFIG}: cannot read config file {missing}: No such file or directory"
    )


def test_the_class_takes_no_arguments_and_is_the_upstream_exporter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with InspectionReceiver() as rx:
        monkeypatch.setenv(ENV_ENDPOINT, rx.url)
        exporter = AutoConfiguredExporter()
        assert isinstance(exporter, upstream_prw.PrometheusRemoteWriteExporter)
        exporter.export(one_counter())
        exporter.shutdown()
        assert rx.received and rx.received[0].signature == "unsigned"


def test_the_config_file_goes_through_the_same_limits(tmp_path: Path) -> None:
    path = tmp_path / "rw.yaml"
    path.write_text("endpoint: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    assert _error({ENV_CONFIG: str(path)}) == (
        f"{ENV_CONFIG}={path}: invalid YAML at line 1, column 74: nested more than 64 levels deep"
    )
    path.write_text("# " + "x" * (2 * 1024 * 1024) + "\n", encoding="utf-8")
    assert _error({ENV_CONFIG: str(path)}) == (
        f"{ENV_CONFIG}: cannot read config file {path}: larger than 256 KiB"
    )


def test_secrets_in_the_config_file_are_stripped_and_never_echoed(tmp_path: Path) -> None:
    path = tmp_path / "rw.yaml"
    path.write_text("endpoint: http://h/w\nbearer_token: ${TOKEN}\n", encoding="utf-8")
    config = config_from_environ({ENV_CONFIG: str(path), "TOKEN": "tok-1\n"})
    assert config.remote_write.bearer_token == "tok-1"
    assert _error({ENV_CONFIG: str(path), "TOKEN": "\n"}) == (
        f"{ENV_CONFIG}={path}: bearer_token: must not be empty"
    )
    message = _error({ENV_CONFIG: str(path), "TOKEN": "tok-SECRET\x1b[2J"})
    assert message == f"{ENV_CONFIG}={path}: bearer_token: must not contain a control character"


def test_values_from_variables_are_escaped_in_messages() -> None:
    environ = {ENV_ENDPOINT: "http://h/w", ENV_AWS_AUTH: "yes\nforged"}
    assert _error(environ) == f'{ENV_AWS_AUTH}: expected true or false, got "yes\\nforged"'
