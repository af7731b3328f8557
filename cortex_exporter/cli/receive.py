"""`cortex-exporter receive`: the inspection receiver on its own, one line per request."""

from __future__ import annotations

import contextlib
import threading
from typing import TextIO

from cortex_exporter.cli.output import Report, format_value, redact_key
from cortex_exporter.cli.received import ReceivedWrite
from cortex_exporter.cli.receiver import InspectionReceiver
from upstream_prw.translate import is_stale

__all__ = ["describe_write", "run_receive"]


def describe_write(write: ReceivedWrite) -> str:
    """`#3 POST /api/v1/write: 5 series, 5 samples, 812 bytes; signature verified; 204`."""
    text = (
        f"#{write.number} {write.method} {write.path}: {len(write.series)} series, "
        f"{write.samples} samples, {write.body_size} bytes; signature {write.signature}; "
        f"answered {write.status}"
    )
    return text + (f" ({write.error})" if write.error else "")


def _series_lines(write: ReceivedWrite) -> list[str]:
    lines = []
    for series in write.series:
        labels = ", ".join(f'{k}="{v}"' for k, v in series.labels if k != "__name__")
        values = [("stale" if is_stale(v) else format_value(v)) for _, v in series.samples]
        values += [
            f"histogram(count {format_value(c)}, sum {format_value(s)})"
            for _, c, s in series.histograms
        ]
        lines.append(f"    {series.name}{{{labels}}} {' '.join(values)}")
    return lines


def run_receive(
    out: TextIO,
    *,
    host: str,
    port: int,
    secrets: dict[str, str],
    region: str | None,
    duration: float | None,
    verbose: bool,
    stop: threading.Event | None = None,
) -> int:
    """Serve until `duration` passes or `stop` is set (Ctrl-C: KeyboardInterrupt)."""
    report = Report(out)
    for secret in secrets.values():
        report.hide(secret, "<secret>")
    lock = threading.Lock()

    def on_request(write: ReceivedWrite) -> None:
        with lock:
            report.text(describe_write(write))
            if verbose:
                for line in _series_lines(write):
                    report.text(line)

    stop = stop or threading.Event()
    with InspectionReceiver(
        host=host,
        port=port,
        secrets=secrets,
        region=region,
        service="aps" if secrets else None,
        on_request=on_request,
    ) as receiver:
        checking = (
            f"verifying SigV4 for key {', '.join(map(redact_key, secrets))}"
            if secrets
            else "not verifying signatures"
        )
        report.text(f"listening on {receiver.url} ({checking}); Ctrl-C stops")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait(duration)
        received = receiver.received
    samples = sum(w.samples for w in received)
    report.text(f"stopped: {len(received)} requests, {samples} samples")
    return 0
