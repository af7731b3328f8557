"""`gunicorn --preload -w 2` with the exporter built at import: both workers' data arrive in
the real Prometheus, and gunicorn stops promptly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Backend, unique_metric_name

ROOT = Path(__file__).resolve().parents[2]


def test_both_preloaded_workers_deliver_and_gunicorn_stops_promptly(
    prometheus: Backend, tmp_path: Path
) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn comes with the test extra")
    name = unique_metric_name("e2e_gunicorn_alive")
    env = {**os.environ, "E2E_WRITE_URL": prometheus.write_url, "E2E_METRIC": name}
    env["PYTHONPATH"] = str(ROOT)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--preload",
                "-w",
                "2",
                "-b",
                "127.0.0.1:0",
                "tests.e2e.apps.preloaded:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            workers: set[str] = set()
            deadline = time.monotonic() + 30.0
            while len(workers) < 2 and time.monotonic() < deadline:
                time.sleep(0.5)
                reported = {r["metric"]["worker"] for r in prometheus.query(name)}
                workers = reported - {str(server.pid)}  # the arbiter reports too
            assert len(workers) == 2, log.read_text()
        finally:
            server.send_signal(signal.SIGTERM)
            stopping = time.monotonic()
            server.wait(timeout=30)
            took = time.monotonic() - stopping
    assert took < 10.0, log.read_text()
    text = log.read_text()
    # Every worker shares the preloaded resource; each is told once how to fix that.
    assert text.count("build the MeterProvider in each worker") == 2, text
