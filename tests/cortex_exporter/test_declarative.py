"""Declarative configuration: an `OTEL_CONFIG_FILE` naming the exporter, read by the real
`opentelemetry-configuration` package, which calls the entry point's class with the
exporter's block as keywords. Fixtures: `tests/cortex_exporter/declarative/*.yaml`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.configuration import load_config_file
from opentelemetry.configuration.file import create_meter_provider, create_resource
from opentelemetry.sdk.metrics import MeterProvider

from cortex_exporter import AutoConfiguredExporter, ConfigError
from cortex_exporter.cli.receiver import InspectionReceiver
from tests.cortex_exporter.support import clean_env
from tests.cortex_exporter.test_entry_point import INSTRUMENT, _require_installed

FIXTURES = Path(__file__).with_name("declarative")


def _provider(name: str) -> MeterProvider:
    config = load_config_file(FIXTURES / name)
    return create_meter_provider(config.meter_provider, create_resource(config.resource))


def _exporter(provider: MeterProvider) -> AutoConfiguredExporter:
    (reader,) = provider._metric_readers
    exporter = reader._exporter  # type: ignore[attr-defined]
    assert isinstance(exporter, AutoConfiguredExporter)
    return exporter


@pytest.fixture
def plain() -> Iterator[InspectionReceiver]:
    """A receiver that takes unsigned requests."""
    with InspectionReceiver() as rx:
        yield rx


def test_the_file_builds_the_exporter_with_its_block(
    monkeypatch: pytest.MonkeyPatch, plain: InspectionReceiver
) -> None:
    receiver = plain
    _require_installed()
    monkeypatch.setenv("RECEIVER_URL", receiver.url)
    provider = _provider("prometheus_remote_write.yaml")
    exporter = _exporter(provider)
    settings = exporter.settings
    assert (settings.endpoint, settings.timeout, settings.namespace) == (receiver.url, 2.0, "")
    assert settings.remote_write_queue.num_consumers == 2
    provider.get_meter("shop").create_counter("shop.orders").add(7, {"shop": "berlin"})
    assert provider.force_flush()
    provider.shutdown()
    written = receiver.received
    assert written and written[0].header("X-Scope-OrgID") == "team-a"
    (orders,) = [s for s in receiver.series() if s.name == "shop_orders_total"]
    assert orders.value == 7
    assert (orders.labels["job"], orders.labels["cluster"]) == ("checkout", "eu-1")


@pytest.mark.usefixtures("env_credentials")
def test_the_cortex_name_with_aws_auth_signs(
    monkeypatch: pytest.MonkeyPatch, receiver: InspectionReceiver
) -> None:
    _require_installed()
    monkeypatch.setenv("RECEIVER_URL", receiver.url)
    provider = _provider("cortex.yaml")
    provider.get_meter("shop").create_counter("shop.orders").add(1)
    assert provider.force_flush()
    provider.shutdown()
    written = receiver.received
    assert written and all(w.signature_ok for w in written), [w.signature for w in written]


def test_an_empty_block_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, plain: InspectionReceiver
) -> None:
    receiver = plain
    _require_installed()
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_TIMEOUT", "1500")
    provider = _provider("from_environment.yaml")
    settings = _exporter(provider).settings
    assert (settings.endpoint, settings.timeout) == (receiver.url, 1.5)
    provider.shutdown()


def test_a_misspelt_key_in_the_block_is_named() -> None:
    _require_installed()
    with pytest.raises(ConfigError) as raised:
        _provider("misspelt_key.yaml")
    assert str(raised.value) == (
        'remote_write_queue.num_consumer: unknown key; did you mean "num_consumers"?'
    )


APP = """\
from opentelemetry import metrics

orders = metrics.get_meter("shop").create_counter("shop.orders")
orders.add(7, {"shop": "berlin"})
"""


def test_otel_config_file_under_opentelemetry_instrument(
    tmp_path: Path, plain: InspectionReceiver
) -> None:
    receiver = plain
    _require_installed()
    app = tmp_path / "app.py"
    app.write_text(APP, encoding="utf-8")
    env = clean_env(
        OTEL_CONFIG_FILE=str(FIXTURES / "prometheus_remote_write.yaml"),
        RECEIVER_URL=receiver.url,
    )
    done = subprocess.run(
        [str(INSTRUMENT), sys.executable, str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (orders,) = [s for s in receiver.series() if s.name == "shop_orders_total"]
    assert (orders.value, orders.labels["job"], orders.labels["cluster"]) == (7, "checkout", "eu-1")
    assert receiver.received[0].header("X-Scope-OrgID") == "team-a"
