"""A WSGI app that builds its MeterProvider at import, as `gunicorn --preload` runs it.

Each worker reports a gauge labelled with its own process id, so that the test can tell
that every worker's data arrived. The endpoint and metric name come from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

from upstream_prw import new_exporter

__all__ = ["application"]

_exporter = new_exporter({"endpoint": os.environ["E2E_WRITE_URL"]})
_reader = PeriodicExportingMetricReader(_exporter, export_interval_millis=300)
_provider = MeterProvider(metric_readers=[_reader])


def _alive(options: CallbackOptions) -> Iterable[Observation]:
    return [Observation(1, {"worker": str(os.getpid())})]


_provider.get_meter("preloaded").create_observable_gauge(
    os.environ["E2E_METRIC"], callbacks=[_alive]
)


def application(
    environ: dict[str, object], start_response: Callable[[str, list[tuple[str, str]]], object]
) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
