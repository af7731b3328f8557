"""One summary line for an export that could not send everything, and not a flood of them.

An export that drops points (untranslatable) or requests (queue full, or not sent with the
queue off) is summarised at WARNING: the first at once, then at most one a minute, which
says how many exports it stands for. Everything is counted in `Stats` either way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from upstream_prw.encode import EncodedRequest, EncodeReport
from upstream_prw.send.negotiation import carried
from upstream_prw.send.stats import Stats

__all__ = ["ExportLog", "count_points"]

logger = logging.getLogger("upstream_prw.exporter")


def count_points(metrics_data: Any) -> int:
    return sum(
        len(m.data.data_points)
        for rm in metrics_data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    )


class ExportLog:
    """Counts what an export dropped and logs its summary, at most one line a minute."""

    def __init__(
        self,
        stats: Stats,
        *,
        queued: bool,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stats = stats
        self._queued = queued
        self._every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._held = 0  # summaries not logged since the last line

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()

    def account(self, report: EncodeReport, refused: list[EncodedRequest]) -> None:
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
            samples = sum(map(carried, refused))
            where = "queued (queue full)" if self._queued else "sent"
            problems.append(
                f"{len(refused)} of {report.requests} requests ({samples} samples) not {where}"
            )
        if problems:
            self._log("; ".join(problems))

    def _log(self, summary: str) -> None:
        now = self._clock()
        with self._lock:
            if self._last is not None and now - self._last < self._every:
                self._held += 1
                return
            self._last, held, self._held = now, self._held, 0
        since = f" (and {held} more exports like it in the last minute)" if held else ""
        logger.warning("remote write export: %s%s", summary, since)
