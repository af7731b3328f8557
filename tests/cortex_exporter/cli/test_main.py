"""Argument handling shared by the commands."""

from __future__ import annotations

import socket

import pytest

from cortex_exporter.cli.main import main
from upstream_prw.version import __version__


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"cortex-exporter {__version__}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["check"], "check needs --config, --collector-config or --endpoint, or the"),
        (["check", "--endpoint", "http://h/w", "--exporter", "x"], "--exporter goes with"),
        (
            ["check", "--endpoint", "http://h/w", "--query-url", "http://h", "--dry-run"],
            "--query-url reads back what was sent",
        ),
        (["check", "--config", "a.yaml", "--endpoint", "http://h/w"], "not allowed with"),
        (["demo", "--region", "us-east-1"], "--region and --aws-auth go with --endpoint"),
        (["check", "--config", "a.yaml", "--aws-auth"], "--region and --aws-auth go with"),
        (["demo", "--duration", "0"], "must be greater than 0"),
        (["demo", "--interval", "soon"], "expected seconds"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_missing_config_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", "/nonexistent/amp.yaml"]) == 2
    assert capsys.readouterr().err.strip() == (
        "cortex-exporter: invalid config /nonexistent/amp.yaml: "
        "cannot read config file /nonexistent/amp.yaml: No such file or directory"
    )


def test_no_region_for_a_demo_endpoint_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--endpoint", "http://127.0.0.1:9/w", "--aws-auth"]) == 2
    assert "no AWS region to sign for" in capsys.readouterr().err


def test_a_taken_port_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["receive", "--port", str(port), "--duration", "0.1"]) == 2
    assert "Address already in use" in capsys.readouterr().err
