"""The OpenTelemetry SDK MetricExporter: translate, encode, hand off, report.

`export()` never raises into the SDK and never waits on the network when the queue is on:
it encodes, puts bounded requests on the sharded queue and returns. Failures are counted
and summarised in one log line per export.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)

from upstream_prw.config import RemoteWriteSettings
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.encoder import EncodeReport, MetricsEncoder
from upstream_prw.send.queue import ShardedQueue
from upstream_prw.send.sender import Sender
from upstream_prw.send.stats import Stats, StatsSnapshot

__all__ = ["PrometheusRemoteWriteExporter", "new_exporter"]

logger = logging.getLogger(__name__)

try:  # the SDK's synchronous gauge arrived in 1.23
    from opentelemetry.sdk.metrics import _Gauge as _SyncGauge

    _GAUGES: tuple[type, ...] = (ObservableGauge, _SyncGauge)
except ImportError:  # pragma: no cover - older SDKs
    _GAUGES = (ObservableGauge,)

_CUMULATIVE = {
    kind: AggregationTemporality.CUMULATIVE
    for kind in (
        Counter,
        UpDownCounter,
        Histogram,
        ObservableCounter,
        ObservableUpDownCounter,
        *_GAUGES,
    )
}


class PrometheusRemoteWriteExporter(MetricExporter):
    """Prometheus remote write for the OpenTelemetry SDK; cumulative for every instrument."""

    def __init__(
        self,
        settings: RemoteWriteSettings,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(preferred_temporality=_CUMULATIVE)
        self.settings = settings
        self._stats = Stats()
        queue_settings = settings.remote_write_queue
        shards = queue_settings.num_consumers if queue_settings.enabled else 1
        self._encoder = MetricsEncoder(
            settings.translation_settings(),
            num_shards=shards,
            max_batch_size_bytes=settings.max_batch_size_bytes,
        )
        self._sender = Sender(settings, session, stats=self._stats)
        self._stop = threading.Event()
        self._queue: ShardedQueue | None = None
        if queue_settings.enabled:
            self._queue = ShardedQueue(
                queue_settings.num_consumers,
                queue_settings.queue_size,
                self._sender.send,
                stats=self._stats,
            )
        self._export_lock = threading.Lock()
        self._shut_down = False

    def __repr__(self) -> str:
        return f"PrometheusRemoteWriteExporter({self.settings.endpoint!r})"

    @property
    def stats(self) -> StatsSnapshot:
        """Samples and requests sent, failed, retried, dropped; current queue depth."""
        return self._stats.snapshot()

    @property
    def cache_size(self) -> int:
        """Series groups whose encodings are cached (bounded: idle ones are evicted)."""
        return self._encoder.cache_size

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        if self._shut_down:
            logger.warning("export called after shutdown; %s dropped", _points(metrics_data))
            return MetricExportResult.FAILURE
        deadline = time.monotonic() + timeout_millis / 1000
        if not self._export_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            logger.warning(
                "export timed out behind another export; %s dropped", _points(metrics_data)
            )
            return MetricExportResult.FAILURE
        try:
            refused: list[EncodedRequest] = []
            try:
                report = self._encoder.encode(
                    metrics_data, self._handoff(refused, deadline), now_ms=int(time.time() * 1000)
                )
            except Exception:
                logger.exception("remote write export failed while encoding; nothing was sent")
                return MetricExportResult.FAILURE
        finally:
            self._export_lock.release()
        self._account(report, refused)
        return MetricExportResult.FAILURE if refused else MetricExportResult.SUCCESS

    def push_metrics(self, metrics_data: MetricsData) -> MetricExportResult:
        """Export one batch now (same as `export`, for callers outside a metric reader)."""
        return self.export(metrics_data)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Wait until everything exported so far is delivered or given up on."""
        if self._queue is None:
            return True
        return self._queue.flush(timeout_millis / 1000)

    def shutdown(
        self, timeout_millis: float = 30_000, timeout: float | None = None, **kwargs: Any
    ) -> None:
        """Send stale markers for live series and what is queued, one attempt each while
        time is left, then stop the workers: done within the deadline, whatever the backend.

        `timeout` (milliseconds) is what the SDK's reader passes; it wins over `timeout_millis`.
        """
        millis = timeout_millis if timeout is None else timeout
        deadline = time.monotonic() + max(0.0, millis) / 1000
        if self._shut_down:
            return
        self._shut_down = True
        self._stop.set()  # an export sending without the queue stops waiting between attempts
        if self._export_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            try:
                if self.settings.send_stale_markers_on_shutdown:
                    refused: list[EncodedRequest] = []
                    now_ms = int(time.time() * 1000)
                    handoff = self._handoff(refused, deadline)
                    report = self._encoder.stale_all(handoff, now_ms=now_ms)
                    self._account(report, refused)
            finally:
                self._export_lock.release()
        remaining = max(0.0, deadline - time.monotonic())
        if self._queue is not None and not self._queue.shutdown(remaining):
            logger.warning("remote write shutdown: not everything was delivered in time")
        self._sender.close()

    def _handoff(
        self, refused: list[EncodedRequest], deadline: float
    ) -> Callable[[EncodedRequest], None]:
        """Where encoded requests go: the queue, or (queue disabled) straight to the sender,
        which must be done by `deadline`."""
        queue = self._queue
        if queue is None:

            def send_now(request: EncodedRequest) -> None:
                if not self._sender.send(request, self._stop, deadline).delivered:
                    refused.append(request)

            return send_now

        def enqueue(request: EncodedRequest) -> None:
            if not queue.put(request):
                refused.append(request)

        return enqueue

    def _account(self, report: EncodeReport, refused: list[EncodedRequest]) -> None:
        """Count what was dropped and log one summary line for the export, if anything was."""
        problems = []
        if report.dropped:
            self._stats.record_dropped(report.dropped_points)
            reasons: dict[tuple[str, str], int] = {}
            for d in report.dropped:
                reasons[(d.metric, d.reason)] = reasons.get((d.metric, d.reason), 0) + d.points
            shown = "; ".join(f"{m!r}: {r} ({n})" for (m, r), n in list(reasons.items())[:5])
            more = f"; and {len(reasons) - 5} more" if len(reasons) > 5 else ""
            problems.append(f"{report.dropped_points} points not translatable: {shown}{more}")
        if refused:
            samples = sum(r.samples for r in refused)
            where = "sent" if self._queue is None else "queued (queue full)"
            problems.append(
                f"{len(refused)} of {report.requests} requests ({samples} samples) not {where}"
            )
        if problems:
            logger.warning("remote write export: %s", "; ".join(problems))


def _points(metrics_data: MetricsData) -> str:
    n = sum(
        len(m.data.data_points)
        for rm in metrics_data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    )
    return f"{n} points"


def new_exporter(
    settings: RemoteWriteSettings | Mapping[str, Any], session: requests.Session | None = None
) -> PrometheusRemoteWriteExporter:
    """Build the exporter from settings (or a plain mapping of them) and an optional session.

    Every request goes through `session`, so whatever auth it carries signs each attempt.
    """
    if not isinstance(settings, RemoteWriteSettings):
        settings = RemoteWriteSettings.from_mapping(settings)
    return PrometheusRemoteWriteExporter(settings, session)
