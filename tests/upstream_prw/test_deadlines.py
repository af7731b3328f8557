"""Shutdown and export keep the caller's deadline, whatever the backend does.

Bounds are the deadline plus half a second, as promised, or three times what is expected.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExportResult, PeriodicExportingMetricReader

from tests.upstream_prw.builders import data, gauge, number
from tests.upstream_prw.hostile import HostileServer, refused_url
from upstream_prw import new_exporter

ROOT = __file__.rsplit("/tests/", 1)[0]


def _settings(url: str, queue: bool, **more: Any) -> dict[str, Any]:
    return {
        "endpoint": url,
        "timeout": "5s",
        "remote_write_queue": {"enabled": queue},
        "retry_on_failure": {"max_elapsed_time": 0},  # retry for ever: only deadlines end it
    } | more


@pytest.mark.parametrize("queue", [True, False], ids=["queue", "no-queue"])
def test_provider_shutdown_keeps_its_deadline_against_a_hanging_backend(queue: bool) -> None:
    with HostileServer("silent") as server:
        exporter = new_exporter(_settings(server.url, queue))
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
        provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
        provider.get_meter("t").create_counter("requests").add(1)
        started = time.monotonic()
        provider.shutdown(timeout_millis=2000)
        took = time.monotonic() - started
    assert took < 2.0 + 0.5


@pytest.mark.parametrize("keyword", ["timeout", "timeout_millis"])
def test_exporter_shutdown_takes_the_sdk_keyword_and_its_own(keyword: str) -> None:
    with HostileServer("silent") as server:
        exporter = new_exporter(_settings(server.url, True))
        assert exporter.export(data(gauge("g", number(1)))) is MetricExportResult.SUCCESS
        started = time.monotonic()
        exporter.shutdown(**{keyword: 1000})
        took = time.monotonic() - started
    assert took < 1.0 + 0.5


def test_shutdown_with_a_refused_port_is_quick_even_with_the_default_deadline() -> None:
    exporter = new_exporter(_settings(refused_url(), True))
    for value in range(3):
        exporter.export(data(gauge("g", number(value))))
    started = time.monotonic()
    exporter.shutdown()  # 30 s allowed; one attempt each, no waits between them
    assert time.monotonic() - started < 5.0
    snapshot = exporter.stats
    assert snapshot.requests_sent == 0 and snapshot.requests_failed >= 4
    assert snapshot.queue_depth == 0


def test_export_without_the_queue_returns_by_its_deadline() -> None:
    with HostileServer("silent") as server:
        exporter = new_exporter(_settings(server.url, False))
        started = time.monotonic()
        result = exporter.export(data(gauge("g", number(1))), timeout_millis=1000)
        took = time.monotonic() - started
        exporter.shutdown(timeout_millis=100)
    assert result is MetricExportResult.FAILURE
    assert took < 3 * 1.0


_EXIT_WITHOUT_SHUTDOWN = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from upstream_prw import new_exporter

    exporter = new_exporter({{"endpoint": {url!r}, "retry_on_failure": {{"max_elapsed_time": 0}}}})
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=200)
    provider = MeterProvider(metric_readers=[reader])  # shuts down at exit, 30 s allowed
    provider.get_meter("t").create_counter("requests").add(1)
    import time
    time.sleep(0.5)  # a few exports fail and back off meanwhile
    print("exiting", flush=True)
    """
)


def test_interpreter_exit_with_a_refused_port_is_quick() -> None:
    script = _EXIT_WITHOUT_SHUTDOWN.format(root=ROOT, url=refused_url())
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exiting"
    assert took < 5.0 + 2.0  # the interpreter's own start and imports come on top
