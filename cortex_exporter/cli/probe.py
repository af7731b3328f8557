"""The probe `check` sends: one gauge sample, encoded by upstream's encoder and sent by its sender.

A transport adapter on the session keeps the final prepared request (signed, as it goes on the
wire) and the raw answer; for a dry run it answers itself, so nothing leaves the process.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import requests
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from requests.adapters import HTTPAdapter

from upstream_prw import RemoteWriteSettings, RetrySettings
from upstream_prw.encode import EncodedRequest, MetricsEncoder
from upstream_prw.send import Sender, SendOutcome
from upstream_prw.send.response import read_capped

__all__ = ["PROBE_METRIC", "ProbeResult", "RecordingAdapter", "probe_request", "send_probe"]

PROBE_METRIC = "cortex_exporter_check"
PROBE_SERVICE = "cortex-exporter-check"
_BODY_WAIT = 10.0


class RecordingAdapter(HTTPAdapter):
    """Keeps the last request and its response or exception; with `send=False`, sends nothing."""

    def __init__(self, *, send: bool = True) -> None:
        super().__init__()
        self._send = send
        self.request: requests.PreparedRequest | None = None
        self.response: requests.Response | None = None
        self.error: BaseException | None = None

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        self.request = request
        if not self._send:
            response = requests.Response()
            response.status_code = 204
            response.request = request
            response.url = request.url or ""
            response.raw = io.BytesIO(b"")
            return response
        try:
            self.response = super().send(request, *args, **kwargs)
        except Exception as error:
            self.error = error
            raise
        # The sender streams an answer and keeps only its start for the log; the diagnosis
        # wants the body, read here (capped and by the deadline all the same).
        timeout = kwargs.get("timeout")
        wait = timeout if isinstance(timeout, int | float) else _BODY_WAIT
        self.response._content = read_capped(self.response, time.monotonic() + wait, time.monotonic)
        return self.response


def probe_request(
    settings: RemoteWriteSettings,
    *,
    now: float | None = None,
    attributes: Mapping[str, str] | None = None,
) -> EncodedRequest:
    """One request holding one sample of the gauge `cortex_exporter_check`, as configured
    (namespace, external labels, scope labels), without target_info or metadata.

    `attributes` become labels of the sample: a unique one lets it be found again."""
    labels = dict(attributes or {})

    def _one(options: CallbackOptions) -> list[Observation]:
        return [Observation(1, labels)]

    reader = InMemoryMetricReader()
    provider = MeterProvider(
        metric_readers=[reader], resource=Resource({"service.name": PROBE_SERVICE})
    )
    meter = provider.get_meter("cortex_exporter.cli.check")
    meter.create_observable_gauge(
        PROBE_METRIC, callbacks=[_one], description="Probe written by cortex-exporter check"
    )
    data = reader.get_metrics_data()
    provider.shutdown()
    translation = replace(settings.translation_settings(), target_info=False, send_metadata=False)
    encoder = MetricsEncoder(
        translation, num_shards=1, max_batch_size_bytes=settings.max_batch_size_bytes
    )
    made: list[EncodedRequest] = []
    moment = time.time() if now is None else now
    encoder.encode(data, made.append, now_ms=int(moment * 1000))
    if len(made) != 1:
        raise RuntimeError(f"the probe encoded to {len(made)} requests, expected 1")
    return made[0]


@dataclass(frozen=True)
class ProbeResult:
    """The upstream sender's outcome, plus what the transport saw."""

    encoded: EncodedRequest
    outcome: SendOutcome
    request: requests.PreparedRequest | None
    response: requests.Response | None
    error: BaseException | None


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """The sender logs each failure; `check` reports this one itself."""
    target = logging.getLogger(name)
    before = target.disabled
    target.disabled = True
    try:
        yield
    finally:
        target.disabled = before


def send_probe(
    settings: RemoteWriteSettings,
    session: requests.Session,
    encoded: EncodedRequest,
    *,
    dry_run: bool = False,
) -> ProbeResult:
    """Send `encoded` once (no retries) through upstream's sender on `session`."""
    adapter = RecordingAdapter(send=not dry_run)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    once = replace(settings, retry_on_failure=RetrySettings(enabled=False))
    with _quiet("upstream_prw.send"):
        outcome = Sender(once, session).send(encoded, threading.Event())
    return ProbeResult(encoded, outcome, adapter.request, adapter.response, adapter.error)
