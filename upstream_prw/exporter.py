"""The OpenTelemetry SDK MetricExporter: translate, encode, hand off, report.

`export()` never raises into the SDK and never waits on the network when the queue is on:
it encodes, puts bounded requests on the sharded queue and returns. Failures are counted
and summarised in one log line per export.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import requests
from opentelemetry.metrics import MeterProvider
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

from upstream_prw.accounting import ExportLog, count_points
from upstream_prw.config import RemoteWriteSettings
from upstream_prw.config.keywords import settings_or_keywords
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.encoder import MetricsEncoder
from upstream_prw.encode.upgrade import Upgrader
from upstream_prw.fork import IdentityCheck, after_fork_in_child
from upstream_prw.handoff import handoff
from upstream_prw.send.queue import ShardedQueue
from upstream_prw.send.sender import Sender
from upstream_prw.send.stats import Stats, StatsSnapshot
from upstream_prw.telemetry import Operation, new_telemetry

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
    """Prometheus remote write for the OpenTelemetry SDK; cumulative for every instrument.

    Configured by `settings`, or by keywords: every key `RemoteWriteSettings.from_mapping`
    reads, nested blocks as mappings (`remote_write_queue={"num_consumers": 2}`); a keyword
    given as None is not given. `meter_provider` turns on the exporter's own metrics
    (`upstream_prw.telemetry`), as OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED=true does.
    """

    def __init__(
        self,
        settings: RemoteWriteSettings | None = None,
        session: requests.Session | None = None,
        *,
        meter_provider: MeterProvider | None = None,
        **config: Any,
    ) -> None:
        super().__init__(preferred_temporality=_CUMULATIVE)
        settings = settings_or_keywords(
            settings, config, RemoteWriteSettings.from_mapping, type(self).__name__
        )
        self.settings = settings
        self._stats = Stats()
        self._encoder, self._upgrader = self._new_encoder()
        self._sender = Sender(settings, session, stats=self._stats)
        self._telemetry = new_telemetry(settings.endpoint, meter_provider)
        self._send = self._sender.send
        if self._telemetry is not None:
            self._send = self._telemetry.wrap(self._sender.send)
        self._stop = threading.Event()
        self._queue: ShardedQueue | None = None
        queue_settings = settings.remote_write_queue
        if queue_settings.enabled:
            self._queue = ShardedQueue(
                queue_settings.num_consumers,
                queue_settings.queue_size,
                self._send,
                max_bytes=queue_settings.max_bytes,
                stats=self._stats,
            )
            # Dropped without shutdown(): the workers stop once the exporter is collected.
            # Not at interpreter exit, where the SDK's own shutdown still needs them.
            weakref.finalize(self, self._queue.close_now).atexit = False
        self._log = ExportLog(self._stats, queued=self._queue is not None)
        self._export_lock = threading.Lock()
        self._shut_down = False
        self._identity = IdentityCheck()
        after_fork_in_child(self.after_fork_in_child)

    def __repr__(self) -> str:
        return f"PrometheusRemoteWriteExporter({self.settings.endpoint!r})"

    def _new_encoder(self) -> tuple[MetricsEncoder, Upgrader]:
        """The encoder, and what rewrites its requests as Remote Write 2.0 (used only then)."""
        queue = self.settings.remote_write_queue
        caches = self.settings.encoder_caches
        encoder = MetricsEncoder(
            self.settings.translation_settings(),
            num_shards=queue.num_consumers if queue.enabled else 1,
            max_batch_size_bytes=self.settings.max_batch_size_bytes,
            max_label_templates=caches.max_label_templates,
            max_label_values=caches.max_label_values,
            max_bucket_layouts=caches.max_bucket_layouts,
            max_entry_templates=caches.max_entry_templates,
        )
        limit = self.settings.max_batch_size_bytes
        # 2.0: the label strings of series, kept as long as label values are, four to one
        return encoder, Upgrader(encoder.catalog, limit, 4 * caches.max_label_values)

    def after_fork_in_child(self) -> None:
        """Run in a child process after `os.fork()` (registered at construction).

        Locks held at the fork are never inherited, the workers start anew, the parent's
        queued requests stay the parent's to send, and the parent's series with it: the
        child starts from a fresh encoder. Its own data is delivered as usual.
        """
        self._export_lock = threading.Lock()
        self._stats.after_fork_in_child()
        self._log.after_fork_in_child()
        self._sender.after_fork_in_child()
        self._encoder, self._upgrader = self._new_encoder()
        if self._queue is not None and not self._shut_down:
            self._queue.after_fork_in_child()
        if self._telemetry is not None:
            self._telemetry.after_fork_in_child()
        self._identity.forked()

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
        telemetry = self._telemetry
        if self._shut_down:
            points = count_points(metrics_data)
            logger.warning("export after shutdown: %d points dropped", points)
            if telemetry is not None:
                telemetry.refused(points, "already_shutdown")
            return MetricExportResult.FAILURE
        deadline = time.monotonic() + timeout_millis / 1000
        if not self._export_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            points = count_points(metrics_data)
            logger.warning("export timed out behind another: %d points dropped", points)
            if telemetry is not None:
                telemetry.refused(points, "timeout")
            return MetricExportResult.FAILURE
        operation = None
        try:
            if telemetry is not None:
                operation = telemetry.start(count_points(metrics_data))
            if self._identity.wanted:
                self._identity.check(metrics_data)
            refused: list[EncodedRequest] = []
            handoff = self._handoff(refused, deadline, operation)
            try:
                report = self._encoder.encode(metrics_data, handoff, now_ms=int(time.time() * 1000))
            except Exception as exc:
                logger.exception("remote write export failed while encoding; nothing was sent")
                if telemetry is not None and operation is not None:
                    telemetry.seal(operation, error_type=type(exc).__name__)
                return MetricExportResult.FAILURE
        finally:
            self._export_lock.release()
        self._log.account(report, refused)
        if telemetry is not None and operation is not None:
            for request in refused:  # not queued; sent and given up on (no queue): no-op
                telemetry.finished(request, None, "queue_full")
            telemetry.seal(operation, untranslated=report.dropped_points)
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
                    self._log.account(report, refused)
            finally:
                self._export_lock.release()
        remaining = max(0.0, deadline - time.monotonic())
        if self._queue is not None and not self._queue.shutdown(remaining):
            logger.warning("remote write shutdown: not everything was delivered in time")
        if self._telemetry is not None:
            self._telemetry.abandon_all()
        self._sender.close()

    def _handoff(
        self, refused: list[EncodedRequest], deadline: float, operation: Operation | None = None
    ) -> Callable[[EncodedRequest], None]:
        """Where this export's requests go (see `upstream_prw.handoff`); in Remote Write
        2.0 the encoder's requests are rewritten first, and what it encodes says so."""
        v2 = self._uses_v2()
        self._encoder.v2 = v2
        if v2:
            self._upgrader.start_export()
        return handoff(
            self._queue,
            self._send,
            self._stop,
            refused,
            deadline,
            tracked=None if operation is None else (self._telemetry, operation),
            upgrade=self._upgrader.upgrade if v2 else None,
        )

    def _uses_v2(self) -> bool:
        """Remote Write 2.0 for this export: configured, and not turned down by the
        receiver (the sender's negotiation says, and tries 2.0 again after a while)."""
        return self._sender.negotiation.use_v2()


def new_exporter(
    settings: RemoteWriteSettings | Mapping[str, Any],
    session: requests.Session | None = None,
    *,
    meter_provider: MeterProvider | None = None,
) -> PrometheusRemoteWriteExporter:
    """Build the exporter from settings (or a plain mapping of them) and an optional session.

    Every request goes through `session`, so whatever auth it carries signs each attempt.
    """
    if not isinstance(settings, RemoteWriteSettings):
        settings = RemoteWriteSettings.from_mapping(settings)
    return PrometheusRemoteWriteExporter(settings, session, meter_provider=meter_provider)
