"""`cortex-exporter demo`: a real MeterProvider exporting through the whole signed path.

With no target it starts a local receiver that verifies SigV4 with a throw-away key pair
made up for this process, and passes that pair to `new_exporter(credentials=...)`: the
user's AWS configuration is never read. With `--config` / `--endpoint` it sends to a real
backend with the real credential chain instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import requests
from botocore.credentials import Credentials  # type: ignore[import-untyped]

from cortex_exporter.cli.output import Report, format_value, redact_key
from cortex_exporter.cli.received import ReceivedWrite, SeriesState
from cortex_exporter.cli.receiver import InspectionReceiver
from cortex_exporter.cli.workload import INSTRUMENTS, Workload
from cortex_exporter.config import Config
from cortex_exporter.factory import new_exporter
from upstream_prw import PrometheusRemoteWriteExporter

__all__ = [
    "DEMO_ACCESS_KEY",
    "DEMO_REGION",
    "DEMO_SECRET_KEY",
    "Timing",
    "demo_credentials",
    "run_demo",
    "run_demo_remote",
]

DEMO_ACCESS_KEY = "AKIDCORTEXDEMOEXAMPLE"
DEMO_SECRET_KEY = "demo/secret/known/only/to/this/process/and/its/receiver"
DEMO_REGION = "us-east-1"
_TICK = 0.1


def demo_credentials() -> Credentials:
    """The fixed, fake key pair the local receiver checks signatures against."""
    return Credentials(DEMO_ACCESS_KEY, DEMO_SECRET_KEY, method="demo credentials")


@dataclass(frozen=True)
class Timing:
    """How long to run and how often to export; the clock and sleep are injectable."""

    duration: float = 5.0
    interval: float = 1.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def _drive(
    workload: Workload,
    timing: Timing,
    on_export: Callable[[str, float], bool],
    *,
    export_wait: float = 10.0,
) -> bool:
    """Tick and export until `timing.duration`; True when it ran to the end, False when
    `on_export` asked to stop (then the shutdown gets `export_wait` too)."""
    start = timing.clock()
    next_export = start + timing.interval
    number = 0
    while True:
        workload.tick()
        now = timing.clock()
        if now >= next_export or now - start >= timing.duration:
            workload.export(timeout_millis=export_wait * 1000)
            number += 1
            if on_export(f"export {number}", timing.clock() - start):
                workload.shutdown(timeout_millis=export_wait * 1000)
                return False
            next_export += timing.interval
        if now - start >= timing.duration:
            break
        timing.sleep(min(_TICK, max(0.0, next_export - timing.clock())))
    workload.shutdown()
    on_export("shutdown, stale markers", timing.clock() - start)
    return True


def _instruments() -> str:
    return ", ".join(f"{kind} {name}" for kind, name in INSTRUMENTS)


class _Tally:
    """Counts the receiver's requests between two progress lines."""

    def __init__(self, receiver: InspectionReceiver) -> None:
        self._receiver = receiver
        self._seen = 0

    def since_last(self) -> list[ReceivedWrite]:
        received = self._receiver.received
        fresh, self._seen = received[self._seen :], len(received)
        return fresh


def _progress(fresh: list[ReceivedWrite]) -> str:
    if not fresh:
        return "nothing arrived"
    series = sum(len(w.series) for w in fresh)
    samples = sum(w.samples for w in fresh)
    verified = sum(1 for w in fresh if w.signature_ok)
    statuses = ", ".join(sorted({str(w.status) for w in fresh}))
    text = (
        f"{len(fresh)} requests, {series} series, {samples} samples; "
        f"{verified}/{len(fresh)} signatures verified; answered {statuses}"
    )
    failures = sorted({w.signature for w in fresh if not w.signature_ok})
    return text + (f" ({'; '.join(failures)})" if failures else "")


def _table(report: Report, states: list[SeriesState]) -> None:
    if not states:
        return
    common = dict(states[0].labels)
    for state in states[1:]:
        common = {k: v for k, v in common.items() if state.labels.get(k) == v}
    report.text(f"Series received ({len(states)}), with the last value of each:")
    if common:
        report.text("  labels on every series: " + _labels(common))
    rows = []
    for state in states:
        own = {k: v for k, v in state.labels.items() if k not in common}
        name = state.name + (f"{{{_labels(own)}}}" if own else "")
        if state.histogram is not None:
            count, total = state.histogram
            value = f"native histogram: count {format_value(count)}, sum {format_value(total)}"
        else:
            value = "-" if state.value is None else format_value(state.value)
        rows.append((name, value))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        report.text(f"  {name:<{width}}  {value}")
    if all(state.stale for state in states):
        report.text("  (every series ended with a stale marker at shutdown, as Prometheus expects)")


def _labels(labels: dict[str, str]) -> str:
    return ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


def run_demo(out: TextIO, timing: Timing | None = None) -> int:
    """The local demo; 0 when requests arrived, all verified and none failed."""
    timing = timing or Timing()
    report = Report(out)
    report.hide(DEMO_SECRET_KEY, "<demo secret>")
    with InspectionReceiver(
        secrets={DEMO_ACCESS_KEY: DEMO_SECRET_KEY}, region=DEMO_REGION, service="aps"
    ) as receiver:
        report.text("cortex-exporter demo: a MeterProvider exporting to a local receiver")
        report.line("receiver", f"{receiver.url} (verifies SigV4 like AMP, answers 204 or 403)")
        report.line(
            "exporter",
            f"cortex_exporter.new_exporter, aws_auth enabled, region {DEMO_REGION}, service aps",
        )
        report.line(
            "credentials",
            f"demo key {redact_key(DEMO_ACCESS_KEY)}, made up for this run; "
            "your AWS configuration is not read",
        )
        report.line("metrics", _instruments())
        report.line("running", f"{timing.duration:g}s, an export every {timing.interval:g}s")
        report.text()
        config = Config.from_mapping(
            {"endpoint": receiver.url, "aws_auth": {"enabled": True, "region": DEMO_REGION}}
        )
        exporter = new_exporter(config, credentials=demo_credentials())
        tally = _Tally(receiver)

        def on_export(what: str, elapsed: float) -> bool:
            report.text(f"  {elapsed:5.1f}s  {what}: {_progress(tally.since_last())}")
            return False

        _drive(Workload(exporter), timing, on_export)
        report.text()
        _table(report, receiver.series())
        received = receiver.received
    report.text()
    return _verdict(report, received, exporter)


def _verdict(
    report: Report, received: list[ReceivedWrite], exporter: PrometheusRemoteWriteExporter
) -> int:
    stats = exporter.stats
    failed = [w for w in received if not w.signature_ok]
    if not received:
        report.text("FAILED: nothing arrived at the receiver")
        return 1
    if failed:
        report.text(f"FAILED: {len(failed)} of {len(received)} requests did not verify")
        return 1
    if stats.requests_failed or stats.samples_dropped:
        report.text(
            f"FAILED: the exporter gave up on {stats.requests_failed} requests and dropped "
            f"{stats.samples_dropped} samples"
        )
        return 1
    samples = sum(w.samples for w in received)
    report.text(f"OK: {len(received)} requests, {samples} samples, every SigV4 signature verified.")
    return 0


def run_demo_remote(
    config: Config, out: TextIO, timing: Timing | None = None, *, source: str = ""
) -> int:
    """The same workload against a real backend; 0 when every request was accepted."""
    timing = timing or Timing()
    report = Report(out)
    report.text("cortex-exporter demo: a MeterProvider exporting to your backend")
    report.line("endpoint", config.endpoint + (f" (from {source})" if source else ""))
    auth = config.aws_auth
    signing = "none (SigV4 is off)"
    if auth.enabled:
        signing = f"SigV4, service {auth.service}, credentials from the default chain"
    report.line("signing", signing)
    report.line("metrics", _instruments())
    report.line("running", f"{timing.duration:g}s, an export every {timing.interval:g}s")
    report.text()
    exporter = new_exporter(config)
    last = [exporter.stats]

    def on_export(what: str, elapsed: float) -> bool:
        now = exporter.stats
        sent = now.requests_sent - last[0].requests_sent
        failed = now.requests_failed - last[0].requests_failed
        retried = now.requests_retried - last[0].requests_retried
        samples = now.samples_sent - last[0].samples_sent
        last[0] = now
        waiting = f", {retried} retries" if retried else ""
        report.text(
            f"  {elapsed:5.1f}s  {what}: {sent} requests accepted ({samples} samples), "
            f"{failed} failed{waiting}"
        )
        return sent == 0 and (failed > 0 or retried > 0)  # every request of it failed

    # An export that cannot be delivered soon will not be delivered at all in a short demo.
    wait = min(5.0, max(1.0, 2 * timing.interval))
    finished = _drive(Workload(exporter), timing, on_export, export_wait=wait)
    stats = exporter.stats
    report.text()
    if not finished:
        report.text("FAILED: every request of that export failed; stopped. Why:")
        return _why(config, report)
    if stats.requests_sent and not stats.requests_failed:
        report.text(f"OK: {stats.requests_sent} requests, {stats.samples_sent} samples accepted.")
        return 0
    report.text(
        f"FAILED: {stats.requests_failed} requests failed, {stats.requests_sent} accepted; "
        "`cortex-exporter check` with the same target explains why."
    )
    return 1


def _why(config: Config, report: Report) -> int:
    """One probe through the same path, explained as `check` explains it."""
    from cortex_exporter.cli.explain import explain_error, explain_response
    from cortex_exporter.cli.probe import probe_request, send_probe
    from cortex_exporter.factory import build_session

    settings = config.remote_write
    session = build_session(config) or requests.Session()
    with session:
        result = send_probe(settings, session, probe_request(settings))
    if result.response is not None:
        body = result.response.content[:4096].decode("utf-8", "replace")
        size = settings.max_batch_size_bytes
        said = explain_response(result.response.status_code, body, max_batch_size_bytes=size)
    elif result.error is not None:
        said = explain_error(result.error, timeout=settings.timeout)
    else:
        report.line("meaning", result.outcome.error or "the request was not sent")
        return 1
    report.line("meaning", said.summary)
    if said.advice:
        report.line("what to do", said.advice)
    return 1
