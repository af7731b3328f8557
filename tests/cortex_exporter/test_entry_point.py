"""`OTEL_METRICS_EXPORTER=prometheus_remote_write opentelemetry-instrument python app.py`.

Needs the distribution installed (entry points come from its metadata) and
opentelemetry-distro; `pip install -e '.[test]'` provides both. Without them the tests skip
locally and fail under CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from cortex_exporter import AutoConfiguredExporter
from cortex_exporter.cli.receiver import InspectionReceiver
from tests.cortex_exporter.support import ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, clean_env

INSTRUMENT = Path(sys.executable).with_name("opentelemetry-instrument")
NAMES = ("prometheus_remote_write", "cortex")

APP = """\
from opentelemetry import metrics

orders = metrics.get_meter("shop").create_counter("shop.orders")
orders.add(7, {"shop": "berlin"})
"""


def _require_installed() -> None:
    registered = {ep.name for ep in entry_points(group="opentelemetry_metrics_exporter")}
    missing = [n for n in NAMES if n not in registered]
    if not missing and INSTRUMENT.exists():
        return
    reason = f"needs `pip install -e '.[test]'` (entry points {missing}, {INSTRUMENT.name})"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_both_names_load_the_environment_configured_class() -> None:
    _require_installed()
    loaded = {
        ep.name: ep.load()
        for ep in entry_points(group="opentelemetry_metrics_exporter")
        if ep.name in NAMES
    }
    assert loaded == dict.fromkeys(NAMES, AutoConfiguredExporter)


def _instrument(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    app = tmp_path / "app.py"
    app.write_text(APP, encoding="utf-8")
    base = clean_env(
        OTEL_METRICS_EXPORTER="prometheus_remote_write",
        OTEL_TRACES_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
        OTEL_METRIC_EXPORT_INTERVAL="200",
        OTEL_SERVICE_NAME="shop-app",
    )
    return subprocess.run(
        [str(INSTRUMENT), sys.executable, str(app)],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_instrumented_app_exports_signed_through_the_entry_point(tmp_path: Path) -> None:
    _require_installed()
    with InspectionReceiver(
        secrets={ACCESS_KEY: SECRET_KEY}, region="us-east-1", service="aps"
    ) as rx:
        done = _instrument(
            tmp_path,
            OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_ENDPOINT=rx.url,
            OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_AUTH="true",
            OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_REGION="us-east-1",
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_SESSION_TOKEN=SESSION_TOKEN,
        )
        written = rx.received
        states = rx.series()
    assert done.returncode == 0, done.stderr
    assert written and all(w.signature_ok for w in written), [w.signature for w in written]
    (orders,) = [s for s in states if s.name == "shop_orders_total"]
    assert (orders.labels["shop"], orders.labels["job"], orders.value) == ("berlin", "shop-app", 7)


def test_an_invalid_variable_is_reported_by_name(tmp_path: Path) -> None:
    _require_installed()
    done = _instrument(
        tmp_path,
        OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_ENDPOINT="http://127.0.0.1:9/api/v1/write",
        OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_AUTH="maybe",
    )
    assert (
        'OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_AUTH: expected true or false, got "maybe"'
        in done.stderr
    )
