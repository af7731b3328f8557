"""The exporter's own metrics, by the semantic conventions for SDK exporters.

    otel.sdk.exporter.metric_data_point.exported   counter, {data_point}; error.type if failed
    otel.sdk.exporter.metric_data_point.inflight   up-down counter, {data_point}
    otel.sdk.exporter.operation.duration           histogram, s; http.response.status_code,
                                                   error.type if failed

An export operation is one `export()` call: its points are in flight from the call until
every request it was encoded into is delivered or given up on, retries and queueing
included; then they are counted once, and its duration recorded once. Which point went in
which request is not tracked, so an export any of whose requests failed counts all of its
translated points as failed, with the first failure's `error.type`.

On when OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED is "true" or a MeterProvider is given.
Off, the exporter holds no `ExportTelemetry` and each export checks one `is None`.
Recording is `add`/`record` on synchronous instruments (no callback runs during a
collection) and never collects or exports, so an exporter may record into the very
MeterProvider it exports without feeding itself.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import metrics

from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.errors import ConfigError
from upstream_prw.send.sender import SendOutcome
from upstream_prw.version import __version__

__all__ = [
    "COMPONENT_TYPE",
    "DURATION",
    "DURATION_BUCKETS",
    "ENV_ENABLED",
    "EXPORTED",
    "INFLIGHT",
    "ExportTelemetry",
    "Operation",
    "Send",
    "new_telemetry",
]

ENV_ENABLED = "OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED"
EXPORTED = "otel.sdk.exporter.metric_data_point.exported"
INFLIGHT = "otel.sdk.exporter.metric_data_point.inflight"
DURATION = "otel.sdk.exporter.operation.duration"
COMPONENT_TYPE = "upstream_prw.PrometheusRemoteWriteExporter"
"""No well-known `otel.component.type` fits; the conventions then ask for the language's
name of the type: the class's public import path."""

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
"""Seconds: the SDK's default boundaries are for milliseconds, and an export with retries
may last up to `retry_on_failure.max_elapsed_time` (300 s by default)."""

Send = Callable[..., SendOutcome]
logger = logging.getLogger("upstream_prw.exporter")
_instances = itertools.count()  # otel.component.name is COMPONENT_TYPE/<n>, n from 0


def new_telemetry(
    endpoint: str,
    meter_provider: metrics.MeterProvider | None = None,
    environ: Mapping[str, str] | None = None,
) -> ExportTelemetry | None:
    """Telemetry into `meter_provider`, or into the global one when the variable is "true";
    None (nothing recorded) otherwise."""
    if meter_provider is None:
        env = os.environ if environ is None else environ
        if env.get(ENV_ENABLED, "").strip().lower() != "true":
            return None
        meter_provider = metrics.get_meter_provider()
    if not isinstance(meter_provider, metrics.MeterProvider):
        raise ConfigError(
            "meter_provider",
            f"expected an OpenTelemetry MeterProvider, got {type(meter_provider).__name__}",
        )
    return ExportTelemetry(endpoint, meter_provider)


def _server(endpoint: str) -> dict[str, Any]:
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {"server.address": parts.hostname or "", "server.port": port}


class Operation:
    """One export in flight: its points, requests still out, and what has gone wrong."""

    __slots__ = ("error_type", "pending", "points", "sealed", "start", "status", "translated")

    def __init__(self, points: int, start: float) -> None:
        self.points = points
        self.translated = points  # less what could not be translated, once sealed
        self.start = start
        self.pending = 0
        self.sealed = False
        self.status: int | None = None  # the last HTTP status an attempt got
        self.error_type: str | None = None  # the first failure


class ExportTelemetry:
    """The instruments of one exporter instance, and the export operations in flight."""

    def __init__(
        self,
        endpoint: str,
        meter_provider: metrics.MeterProvider,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        meter = meter_provider.get_meter("upstream_prw", __version__)
        self._exported = meter.create_counter(
            EXPORTED,
            unit="{data_point}",
            description="Metric data points whose export finished, successfully or not.",
        )
        self._inflight = meter.create_up_down_counter(
            INFLIGHT,
            unit="{data_point}",
            description="Metric data points passed to the exporter and not yet exported.",
        )
        self._duration = meter.create_histogram(
            DURATION,
            unit="s",
            description="The duration of exporting a batch of data points.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.attributes: dict[str, Any] = {
            "otel.component.type": COMPONENT_TYPE,
            "otel.component.name": f"{COMPONENT_TYPE}/{next(_instances)}",
            **_server(endpoint),
        }
        self._clock = clock
        self._failed = False  # an instrument raised: said once, then quiet
        self._lock = threading.Lock()
        self._out: dict[int, tuple[EncodedRequest, Operation]] = {}  # by id(request)

    def start(self, points: int) -> Operation:
        """An export begins: its points are in flight."""
        self._safely(self._inflight.add, points, self.attributes)
        return Operation(points, self._clock())

    def handed_off(self, operation: Operation, request: EncodedRequest) -> None:
        """`request` (of `operation`) goes to the queue or the sender: wait for its outcome."""
        with self._lock:
            operation.pending += 1
            self._out[id(request)] = (request, operation)

    def finished(
        self, request: EncodedRequest, outcome: SendOutcome | None, error_type: str = ""
    ) -> None:
        """`request` is delivered or given up on; a request not tracked (a stale marker, or
        one already finished) is ignored."""
        with self._lock:
            entry = self._out.pop(id(request), None)
            if entry is None:
                return
            operation = entry[1]
            if outcome is not None and outcome.status is not None:
                operation.status = outcome.status
            if outcome is not None and not outcome.delivered:
                error_type = outcome.error_type or "failed"
            if error_type and operation.error_type is None:
                operation.error_type = error_type
            operation.pending -= 1
            done = operation.sealed and operation.pending == 0
        if done:
            self._record(operation)

    def seal(self, operation: Operation, *, untranslated: int = 0, error_type: str = "") -> None:
        """The export has handed off all its requests; `untranslated` points were dropped."""
        with self._lock:
            operation.translated = max(0, operation.points - untranslated)
            if error_type and operation.error_type is None:
                operation.error_type = error_type
            operation.sealed = True
            done = operation.pending == 0
        if done:
            self._record(operation)

    def refused(self, points: int, error_type: str) -> None:
        """An export refused outright (after shutdown, or timed out behind another)."""
        self.seal(self.start(points), untranslated=0, error_type=error_type)

    def wrap(self, send: Send) -> Send:
        """`send`, followed by finishing the request's part of its export."""

        def send_and_finish(request: EncodedRequest, *args: Any, **kwargs: Any) -> SendOutcome:
            outcome = send(request, *args, **kwargs)
            self.finished(request, outcome)
            return outcome

        return send_and_finish

    def abandon_all(self, error_type: str = "shutdown") -> None:
        """What is still out when the exporter stops will not be sent: count it failed."""
        with self._lock:
            requests = [request for request, _ in self._out.values()]
        for request in requests:
            self.finished(request, None, error_type)

    def after_fork_in_child(self) -> None:
        """The parent's exports are the parent's to count."""
        self._lock = threading.Lock()
        self._out = {}

    def _safely(self, record: Callable[..., None], value: float, attributes: Any) -> None:
        """Record; a provider that raises must cost the export nothing (said once)."""
        try:
            record(value, attributes)
        except Exception:
            if not self._failed:
                self._failed = True
                logger.warning("recording the exporter's own metrics failed", exc_info=True)

    def _record(self, operation: Operation) -> None:
        attributes = self.attributes
        failed = {**attributes, "error.type": operation.error_type}
        untranslated = operation.points - operation.translated
        self._safely(self._inflight.add, -operation.points, attributes)
        if untranslated:
            untranslatable = {**attributes, "error.type": "untranslatable"}
            self._safely(self._exported.add, untranslated, untranslatable)
        if operation.translated:
            ok = operation.error_type is None
            self._safely(self._exported.add, operation.translated, attributes if ok else failed)
        measured = attributes if operation.error_type is None else failed
        if untranslated and operation.error_type is None:
            measured = {**attributes, "error.type": "untranslatable"}
        if operation.status is not None:
            measured = {**measured, "http.response.status_code": operation.status}
        self._safely(self._duration.record, max(0.0, self._clock() - operation.start), measured)
