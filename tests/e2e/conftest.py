"""Real backends on 127.0.0.1 for end-to-end tests, started once per test session.

Fixtures (session-scoped; each yields a `Backend`):

    prometheus         Prometheus with the remote-write receiver and native histograms on
    victoria_metrics   VictoriaMetrics (single node)
    backend            parametrized over both, for tests that must hold on each

A `Backend` has `name`, `base_url`, `write_url` (POST remote-write here),
`query(promql, time=None) -> list[dict]` (the `data.result` of `/api/v1/query`; `time` in
epoch seconds), `query_eventually(...)` (the same, polling until the result is non-empty)
and `flush()` (VictoriaMetrics makes recent writes searchable; a no-op on Prometheus).
Call `flush()` after writing and before querying.

Backends are shared by every test in the session: use metric names unique to your test
(`unique_metric_name("my_test")`). Prometheus rejects samples older than its head block, so
write millisecond timestamps near now. A missing binary skips the tests locally and fails
them when `CI` is set, because CI must install them (`apt-get install prometheus
victoria-metrics`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0


def unique_metric_name(prefix: str) -> str:
    """A metric name no other test in the session will use."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@dataclass
class Backend:
    """A running backend reached over loopback."""

    name: str
    base_url: str
    write_url: str
    flush_path: str | None = None
    _http: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self._http.trust_env = False  # never route loopback queries through a proxy

    def query(self, promql: str, time: float | None = None) -> list[dict[str, Any]]:
        """Evaluate an instant query; raises AssertionError with the body on an error."""
        params: dict[str, str] = {"query": promql}
        if time is not None:
            params["time"] = f"{time:.3f}"
        response = self._http.get(f"{self.base_url}/api/v1/query", params=params, timeout=10)
        if response.status_code != 200:
            raise AssertionError(
                f"{self.name} query {promql!r}: {response.status_code} {response.text}"
            )
        body = response.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def query_eventually(
        self, promql: str, time: float | None = None, timeout: float = 15.0
    ) -> list[dict[str, Any]]:
        """`query` until it returns something: a fresh series may take a moment to be
        searchable after `flush()` (VictoriaMetrics indexes new series asynchronously)."""
        import time as clock

        deadline = clock.monotonic() + timeout
        while True:
            result = self.query(promql, time)
            if result or clock.monotonic() > deadline:
                return result
            clock.sleep(0.2)
            self.flush()

    def close(self) -> None:
        self._http.close()

    def flush(self) -> None:
        """Make everything written so far visible to queries."""
        if self.flush_path is not None:
            response = self._http.get(f"{self.base_url}{self.flush_path}", timeout=10)
            response.raise_for_status()


def _binary(name: str) -> str:
    """The backend's executable; skip locally, fail on CI, when it is not installed."""
    path = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/bin"]))
    if path is None:
        reason = f"{name} is not installed (apt-get install {name})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide it for the end-to-end tests")
        pytest.skip(f"{reason}; end-to-end tests need it")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"


@contextmanager
def _running(argv: list[str], ready_url: str, log: Path) -> Iterator[None]:
    """Run `argv` until the block ends; wait until `ready_url` answers 200 first."""
    probe = requests.Session()
    probe.trust_env = False
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)
        try:
            deadline = time.monotonic() + _START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    pytest.fail(f"{argv[0]} exited with {process.returncode}:\n{_log_tail(log)}")
                try:
                    if probe.get(ready_url, timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{argv[0]} not ready after {_START_TIMEOUT_S}s:\n{_log_tail(log)}")
                time.sleep(0.1)
            yield
        finally:
            probe.close()
            process.terminate()
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def _prometheus(workdir: Path, *flags: str) -> Iterator[Backend]:
    """Prometheus accepting remote write at `/api/v1/write`, with no scrape jobs."""
    binary = _binary("prometheus")
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    base_url = f"http://127.0.0.1:{_free_port()}"
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address={base_url.removeprefix('http://')}",
        "--web.enable-remote-write-receiver",
        *flags,
    ]
    with _running(argv, f"{base_url}/-/ready", workdir / "prometheus.log"):
        started = Backend("prometheus", base_url, f"{base_url}/api/v1/write")
        yield started
        started.close()


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """Prometheus with native histograms on, as the README tells users to start it."""
    with _prometheus(
        tmp_path_factory.mktemp("prometheus"), "--enable-feature=native-histograms"
    ) as started:
        yield started


@pytest.fixture(scope="session")
def prometheus_classic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """Prometheus as it starts by default: without native histograms."""
    with _prometheus(tmp_path_factory.mktemp("prometheus-classic")) as started:
        yield started


@pytest.fixture(scope="session")
def victoria_metrics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """VictoriaMetrics single node accepting remote write at `/api/v1/write`."""
    binary = _binary("victoria-metrics")
    workdir = tmp_path_factory.mktemp("victoria-metrics")
    base_url = f"http://127.0.0.1:{_free_port()}"
    argv = [
        binary,
        f"-httpListenAddr={base_url.removeprefix('http://')}",
        f"-storageDataPath={workdir / 'data'}",
        "-retentionPeriod=100y",
        # Show samples as soon as they are flushed, not 30s later, and never from a cache.
        "-search.latencyOffset=0s",
        "-search.disableCache",
    ]
    with _running(argv, f"{base_url}/health", workdir / "victoria-metrics.log"):
        started = Backend(
            "victoria-metrics",
            base_url,
            f"{base_url}/api/v1/write",
            flush_path="/internal/force_flush",
        )
        yield started
        started.close()


@pytest.fixture(params=["prometheus", "victoria_metrics"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend in turn."""
    started: Backend = request.getfixturevalue(request.param)
    return started
