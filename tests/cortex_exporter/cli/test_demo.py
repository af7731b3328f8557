"""`cortex-exporter demo`: the whole signed path, end to end, in one command."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from cortex_exporter.cli.demo import DEMO_SECRET_KEY
from cortex_exporter.cli.main import main
from cortex_exporter.cli.received import Reply
from cortex_exporter.cli.receiver import InspectionReceiver
from tests.cortex_exporter.support import ROOT, clean_env


def test_demo_runs_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--duration", "1", "--interval", "0.3"]) == 0
    output = capsys.readouterr().out
    assert "export 1: " in output
    assert "signatures verified; answered 204" in output
    assert "shutdown, stale markers: " in output
    for row in (
        'demo_requests_total{route="/cart"}',
        'demo_queue_depth{queue="orders"}',
        'demo_request_duration_milliseconds_bucket{le="+Inf"}',
        "demo_request_duration_milliseconds_count",
        "demo_response_size_bytes",
    ):
        assert row in output
    assert "native histogram: count " in output
    assert output.rstrip().splitlines()[-1].startswith("OK: ")
    assert "every SigV4 signature verified" in output
    assert DEMO_SECRET_KEY not in output


def test_demo_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cortex_exporter", "demo", "--duration", "2"],
        env=clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: " in done.stdout
    assert done.stderr == ""


def test_demo_against_an_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    with InspectionReceiver() as rx:
        status = main(["demo", "--endpoint", rx.url, "--duration", "0.5", "--interval", "0.2"])
        names = {state.name for state in rx.series()}
    output = capsys.readouterr().out
    assert status == 0, output
    assert "signing     none (SigV4 is off)" in output
    assert "demo_requests_total" in names
    assert output.rstrip().splitlines()[-1].startswith("OK: ")


def test_demo_against_a_refusing_endpoint_fails(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with InspectionReceiver(respond=lambda write: Reply(403, "no")) as rx:
        status = main(["demo", "--endpoint", rx.url, "--duration", "0.3", "--interval", "0.2"])
    captured = capsys.readouterr()
    assert status == 1
    # The first export's requests were all refused: it stops there and says why.
    assert "export 2" not in captured.out
    assert "FAILED: every request of that export failed; stopped. Why:" in captured.out
    assert "  meaning     HTTP 403: forbidden: no" in captured.out
    assert "failed: HTTP 403: no; the backend refuses these credentials" in caplog.text


def test_demo_against_a_refused_port_stops_at_once_and_says_why() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cortex_exporter",
            "demo",
            "--endpoint",
            f"http://127.0.0.1:{port}/api/v1/write",
        ],
        env=clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    took = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    assert took < 10, f"took {took:.1f}s"
    out = done.stdout
    assert "export 1: 0 requests accepted (0 samples)" in out
    assert "export 2" not in out
    assert "FAILED: every request of that export failed; stopped. Why:" in out
    assert "meaning     ConnectionError: " in out
    assert "Could not connect" in out
