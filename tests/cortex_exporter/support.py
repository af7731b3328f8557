"""Constants and small functions shared by the wrapper's tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData
from opentelemetry.sdk.resources import Resource

ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "AKIDWRAPPERTEST00001"
SECRET_KEY = "wRaPpEr/SeCrEt+ThatMustNeverBePrinted000"
SESSION_TOKEN = "IQoJwrapperSessionTokenThatMustNeverBePrinted//////////"
AMP_ENDPOINT = (
    "https://aps-workspaces.eu-west-2.amazonaws.com/workspaces/ws-0123abcd/api/v1/remote_write"
)


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment (already stripped of AWS_*, OTEL_* and proxies by the autouse
    fixture, with empty AWS config files and IMDS off) for a subprocess, plus `extra`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def python() -> str:
    return sys.executable


def one_counter(value: int = 3) -> MetricsData:
    """MetricsData with one counter point, as a reader would collect it."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], resource=Resource({"service.name": "t"}))
    provider.get_meter("tests").create_counter("wrapper.test.requests").add(value, {"k": "v"})
    data = reader.get_metrics_data()
    provider.shutdown()
    assert data is not None
    return data
