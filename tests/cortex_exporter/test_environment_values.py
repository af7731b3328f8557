"""OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_HEADERS and _TIMEOUT, read as the OTLP exporter's
variables are; a malformed one is reported by name and never repeats a header value."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortex_exporter import ConfigError, config_from_environ
from cortex_exporter.cli.receiver import InspectionReceiver
from cortex_exporter.env_values import parse_headers, parse_millis
from cortex_exporter.environment import ENV_CONFIG, ENV_ENDPOINT, ENV_HEADERS, ENV_TIMEOUT

ENDPOINT = {ENV_ENDPOINT: "http://127.0.0.1:9/w"}


def _error(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as raised:
        config_from_environ({**ENDPOINT, **environ})
    return str(raised.value)


def test_headers_are_percent_decoded_and_trimmed() -> None:
    headers = parse_headers(ENV_HEADERS, " X-Scope-OrgID = team%20a ,api-key=a%3Db%2Cc,, ")
    assert dict(headers) == {"X-Scope-OrgID": "team a", "api-key": "a=b,c"}
    assert dict(parse_headers(ENV_HEADERS, "x=")) == {"x": ""}


def test_headers_and_timeout_reach_the_config() -> None:
    config = config_from_environ(
        {**ENDPOINT, ENV_HEADERS: "X-Scope-OrgID=team-a", ENV_TIMEOUT: "250"}
    )
    assert dict(config.remote_write.headers) == {"X-Scope-OrgID": "team-a"}
    assert config.remote_write.timeout == 0.25


def test_variables_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rw.yaml"
    path.write_text(
        "endpoint: http://file/w\ntimeout: 30s\nheaders: {X-File: f, X-Both: file}\n",
        encoding="utf-8",
    )
    config = config_from_environ({ENV_CONFIG: str(path), ENV_TIMEOUT: "1000"})
    assert config.remote_write.timeout == 1.0
    assert dict(config.remote_write.headers) == {"X-File": "f", "X-Both": "file"}
    config = config_from_environ({ENV_CONFIG: str(path), ENV_HEADERS: "X-Both=env"})
    assert dict(config.remote_write.headers) == {"X-Both": "env"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a=1,token-sk-SECRET", "entry 2: expected name=value"),
        ("=sk-SECRET", "entry 1: the header name is empty"),
        ("a=sk-SECRET%FF", "entry 1: invalid percent-encoding"),
        ("A=1,a=sk-SECRET", 'entry 2: header "a" given twice'),
        ("X-Key=sk-SECRET%1B[2J", "X-Key: header value must not contain a control character"),
        (
            "User-Agent=sk-SECRET",
            'User-Agent: "User-Agent" is a reserved remote-write header and cannot be set',
        ),
    ],
)
def test_malformed_headers_name_the_variable_never_the_value(text: str, problem: str) -> None:
    message = _error({ENV_HEADERS: text})
    assert message == f"{ENV_HEADERS}: {problem}"
    assert "SECRET" not in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10s", f'{ENV_TIMEOUT}: expected milliseconds, e.g. 10000, got "10s"'),
        ("-5", f'{ENV_TIMEOUT}: expected milliseconds, e.g. 10000, got "-5"'),
        ("0", f"{ENV_TIMEOUT}: must be more than 0 milliseconds"),
    ],
)
def test_a_bad_timeout_names_the_variable(text: str, message: str) -> None:
    assert _error({ENV_TIMEOUT: text}) == message
    assert parse_millis(ENV_TIMEOUT, " 1500.5 ") == 1.5005


def test_the_headers_are_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    from cortex_exporter import AutoConfiguredExporter
    from tests.cortex_exporter.support import one_counter

    with InspectionReceiver() as rx:
        monkeypatch.setenv(ENV_ENDPOINT, rx.url)
        monkeypatch.setenv(ENV_HEADERS, "X-Scope-OrgID=team%2Da")
        exporter = AutoConfiguredExporter()
        exporter.export(one_counter())
        exporter.shutdown()
        assert rx.received[0].header("X-Scope-OrgID") == "team-a"
