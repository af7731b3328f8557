"""An outage and its end: 10k-point exports back to back against a refused port, then the
backend comes up on that port and the queue drains.

Prints the peak resident memory above the baseline (goal with default settings: at most
100 MB), the requests and samples dropped while the queue was full, the WARNING lines the
exporter logged, and how long the queue took to drain once the backend answered.

    python benchmarks/outage.py              # 60 s of outage
    python benchmarks/outage.py --quick      # 10 s
"""

from __future__ import annotations

import argparse
import gc
import logging
import socket
import time

from harness import MiB, machine, our_exporter, peak_rss, reset_peak_rss, rss
from receiver import ReceiverProcess
from workload import make_metrics_data


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="10 s of outage")
    parser.add_argument("--seconds", type=float, help="length of the outage")
    parser.add_argument("--points", type=int, default=10_000)
    args = parser.parse_args()
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    print(f"Machine: {machine()}")
    print(f"{args.points:,}-point exports back to back for {seconds:.0f} s against a refused port")

    collections = [make_metrics_data(args.points, collection=c) for c in range(1, 5)]
    port = _free_port()
    logs = _Count()
    logging.getLogger("upstream_prw").addHandler(logs)
    logging.getLogger("upstream_prw").setLevel(logging.INFO)
    exporter = our_exporter(f"http://127.0.0.1:{port}/api/v1/write")
    gc.collect()
    baseline = rss()
    reset_peak_rss()

    exports = 0
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        exporter.export(collections[exports % len(collections)])
        exports += 1
    outage = exporter.stats
    peak = peak_rss() - baseline
    print(f"  exports: {exports} ({exports / seconds:.1f}/s)")
    print(f"  peak RSS above baseline: {peak / MiB:.1f} MiB (goal: at most 100 MB)")
    print(
        f"  at the end of the outage: {outage.queue_depth} requests queued, "
        f"{outage.samples_dropped:,} samples dropped (queue full), "
        f"{outage.requests_failed} requests given up"
    )

    with ReceiverProcess(port=port) as rx:
        up = time.monotonic()
        while exporter.stats.queue_depth and time.monotonic() - up < 600:
            time.sleep(0.05)
        drained = time.monotonic() - up
        arrived = rx.stats()["requests"]
        exporter.shutdown(timeout_millis=5000)
    print(f"  drained {arrived} requests in {drained:.1f} s after the backend came up")
    print(f"  log lines ({len(logs.lines)}):")
    for line in logs.lines:
        print(f"    {line[:160]}")


if __name__ == "__main__":
    main()
