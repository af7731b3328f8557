"""The OpenTelemetry SDK MetricExporter: translate, encode, hand off, report.

`export()` never raises into the SDK and never waits on the network when the queue is on:
it encodes, puts bounded requests on the sharded queue and returns. Failures are counted
and summarised in one log line per export.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
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

from upstream_prw.accounting import ExportLog, count_points
from upstream_prw.config import RemoteWriteSettings
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.encoder import MetricsEncoder
from upstream_prw.send.queue import ShardedQueue
from upstream_prw.send.sender import Sender
from upstream_prw.send.stats import Stats, StatsSnapshot

__all__ = ["PrometheusRemoteWriteExporter", "new_exporter"]

logger = logging.getLogger(__name__)

_INSTANCES_NOTED = 16
"""How many service.instance.id values an exporter notes for the fork check: one process
exports one or a few; past this many the check would tell nothing and only cost."""

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
        self._encoder = self._new_encoder()
        self._sender = Sender(settings, session, stats=self._stats)
        self._stop = threading.Event()
        self._queue: ShardedQueue | None = None
        queue_settings = settings.remote_write_queue
        if queue_settings.enabled:
            self._queue = ShardedQueue(
                queue_settings.num_consumers,
                queue_settings.queue_size,
                self._sender.send,
                max_bytes=queue_settings.max_bytes,
                stats=self._stats,
            )
            # Dropped without shutdown(): the workers stop once the exporter is collected.
            # Not at interpreter exit, where the SDK's own shutdown still needs them.
            weakref.finalize(self, self._queue.close_now).atexit = False
        self._log = ExportLog(self._stats, queued=self._queue is not None)
        self._export_lock = threading.Lock()
        self._shut_down = False
        self._instances: set[object] = set()  # service.instance.id values exported
        self._forked_from: set[object] | None = None  # the parent's, in a forked child
        _after_fork_in_child(self)

    def __repr__(self) -> str:
        return f"PrometheusRemoteWriteExporter({self.settings.endpoint!r})"

    def _new_encoder(self) -> MetricsEncoder:
        queue = self.settings.remote_write_queue
        caches = self.settings.encoder_caches
        return MetricsEncoder(
            self.settings.translation_settings(),
            num_shards=queue.num_consumers if queue.enabled else 1,
            max_batch_size_bytes=self.settings.max_batch_size_bytes,
            max_label_templates=caches.max_label_templates,
            max_label_values=caches.max_label_values,
            max_bucket_layouts=caches.max_bucket_layouts,
            max_entry_templates=caches.max_entry_templates,
        )

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
        self._encoder = self._new_encoder()
        if self._queue is not None and not self._shut_down:
            self._queue.after_fork_in_child()
        self._forked_from = set(self._instances)

    def _check_identity(self, metrics_data: MetricsData) -> None:
        """Note the instances exported; in a forked child, warn once if they are shared."""
        instances = {
            rm.resource.attributes.get("service.instance.id")
            for rm in metrics_data.resource_metrics
        }
        self._instances |= instances
        parent, self._forked_from = self._forked_from, None
        # Nothing exported before the fork: the resource was most likely built before it too
        # (the SDK draws a random service.instance.id once), and so is every sibling's.
        if parent is not None and (not parent or any(i is None or i in parent for i in instances)):
            logger.warning(
                "this process was forked after the exporter was built, so its metrics most "
                "likely carry the same service.instance.id as its parent's and its siblings', "
                "and workers overwrite each other's series; build the MeterProvider in each "
                "worker (gunicorn's post_fork, uWSGI's @postfork, Celery's "
                "worker_process_init), or give each worker its own service.instance.id"
            )

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
            logger.warning("export after shutdown: %d points dropped", count_points(metrics_data))
            return MetricExportResult.FAILURE
        deadline = time.monotonic() + timeout_millis / 1000
        if not self._export_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            logger.warning(
                "export timed out behind another: %d points dropped", count_points(metrics_data)
            )
            return MetricExportResult.FAILURE
        try:
            if self._forked_from is not None or len(self._instances) < _INSTANCES_NOTED:
                self._check_identity(metrics_data)
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
        self._log.account(report, refused)
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


def new_exporter(
    settings: RemoteWriteSettings | Mapping[str, Any], session: requests.Session | None = None
) -> PrometheusRemoteWriteExporter:
    """Build the exporter from settings (or a plain mapping of them) and an optional session.

    Every request goes through `session`, so whatever auth it carries signs each attempt.
    """
    if not isinstance(settings, RemoteWriteSettings):
        settings = RemoteWriteSettings.from_mapping(settings)
    return PrometheusRemoteWriteExporter(settings, session)


def _after_fork_in_child(exporter: PrometheusRemoteWriteExporter) -> None:
    """Have `exporter.after_fork_in_child` run in every child forked from now on, for as long
    as the exporter lives (the registration holds it only weakly)."""
    if not hasattr(os, "register_at_fork"):  # pragma: no cover - not on Windows
        return
    ref = weakref.WeakMethod(exporter.after_fork_in_child)

    def in_child() -> None:
        method = ref()
        if method is not None:
            method()

    os.register_at_fork(after_in_child=in_child)
