"""What exporting costs the application: how late its threads wake, and memory.

    python benchmarks/app_impact.py            # 10k and 100k points (a few minutes)
    python benchmarks/app_impact.py --quick    # 10k points, shorter phases

An application thread sleeps 1 ms in a loop and records how late each wake-up is: while
nothing else runs (idle), during the first export (cold: caches empty), then while the main
thread runs `export()` and `force_flush()` back to back for several seconds on the
deterministic workload, sending to a receiver in another process that answers 204 at once.
Lateness past 1 ms is time the thread waited for the GIL (or the CPU).

Each exporter is measured in a fresh process, so heaps and caches do not carry over:
ours with its default settings (queue on), and the contrib exporter with
`resources_as_labels=False` (its faster setting) and with its defaults. Memory an export
adds at its peak: resident set size over the first (cold) export and over the exporting
phase, and Python allocations (tracemalloc) of one cold export on a fresh exporter. Nothing
process-wide (switch interval, GC, allocator) is changed. Stops by itself.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import threading
import time
import tracemalloc
from typing import Any

from harness import (
    MiB,
    contrib_exporter,
    contrib_version,
    machine,
    our_exporter,
    peak_rss,
    reset_peak_rss,
    rss,
    run_child,
)
from receiver import ReceiverProcess
from workload import make_metrics_data

OURS = "ours (defaults, queue on)"
CONTRIB_FAST = "contrib, resources_as_labels=False"
CONTRIB = "contrib, defaults"
WHICH = {"ours": OURS, "contrib-fast": CONTRIB_FAST, "contrib": CONTRIB}


class Sleeper(threading.Thread):
    """The application: wakes every millisecond and notes how late it is."""

    def __init__(self) -> None:
        super().__init__(name="application", daemon=True)
        self.lateness: list[float] = []
        self.recording = False
        self.done = threading.Event()

    def run(self) -> None:
        sleep, clock = time.sleep, time.perf_counter
        while not self.done.is_set():
            start = clock()
            sleep(0.001)
            late = clock() - start - 0.001
            if self.recording:
                self.lateness.append(late)

    def record(self, seconds: float | None = None, action: Any = None) -> list[float]:
        """Lateness while `action` runs (or for `seconds` of nothing)."""
        self.lateness = []
        self.recording = True
        if action is None:
            time.sleep(seconds or 0)
        else:
            action()
        self.recording = False
        return self.lateness


def _export(exporter: Any, data: Any) -> None:
    exporter.export(data)
    exporter.force_flush(600_000)


def _new_exporter(which: str, url: str) -> Any:
    if which == "ours":
        return our_exporter(url, send_stale_markers_on_shutdown=False)
    return contrib_exporter(url, resources_as_labels=which == "contrib")


def child(which: str, points: int, seconds: float) -> dict[str, Any]:
    """One exporter, one size, in this (fresh) process."""
    data = [make_metrics_data(points, collection=c) for c in (1, 2, 3)]
    out: dict[str, Any] = {}
    with ReceiverProcess() as rx:
        exporter = _new_exporter(which, rx.url)
        sleeper = Sleeper()
        sleeper.start()
        out["idle"] = sleeper.record(seconds=min(seconds, 3.0))
        gc.collect()
        reset_peak_rss()
        before = rss()
        start = time.perf_counter()
        out["cold"] = sleeper.record(action=lambda: _export(exporter, data[0]))
        out["cold_s"] = time.perf_counter() - start
        out["rss_cold"] = peak_rss() - before
        times: list[float] = []

        def back_to_back() -> None:
            end = time.perf_counter() + seconds
            i = 0
            while time.perf_counter() < end or len(times) < 2:
                begin = time.perf_counter()
                _export(exporter, data[1 + i % 2])
                times.append(time.perf_counter() - begin)
                i += 1

        gc.collect()
        reset_peak_rss()
        before = rss()
        out["busy"] = sleeper.record(action=back_to_back)
        out["rss_steady"] = peak_rss() - before
        out["export_s"] = times
        out["cache"] = getattr(exporter, "cache_size", None)
        sleeper.done.set()
        sleeper.join()
        if hasattr(exporter, "shutdown"):
            exporter.shutdown()
        fresh = _new_exporter(which, rx.url)
        gc.collect()
        tracemalloc.start()
        _export(fresh, data[0])
        out["traced_cold"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        fresh.shutdown()
    return out


def _quantiles(lateness: list[float]) -> tuple[float, float, float]:
    ms = sorted(x * 1e3 for x in lateness)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return statistics.median(ms), p99, ms[-1]


def _print(points: int, results: dict[str, dict[str, Any]]) -> None:
    print()
    print(f"{points:,} points: application thread lateness (ms) and export cost")
    print(
        f"  {'':36} {'exporting: p50':>14} {'p99':>6} {'max':>6}   {'cold: p99':>9} {'max':>6}   "
        f"{'idle: p50':>9} {'p99':>5} {'max':>5}   {'export ms':>9} {'exports':>7}   "
        f"{'RSS+ cold':>9} {'RSS+ run':>8} {'traced':>7}"
    )
    for label, r in results.items():
        busy, cold, idle = _quantiles(r["busy"]), _quantiles(r["cold"]), _quantiles(r["idle"])
        export_ms = statistics.median(r["export_s"]) * 1e3
        memory = (r["rss_cold"] / MiB, r["rss_steady"] / MiB, r["traced_cold"] / MiB)
        print(
            f"  {label:36} {busy[0]:>14.1f} {busy[1]:>6.1f} {busy[2]:>6.1f}   {cold[1]:>9.1f} "
            f"{cold[2]:>6.1f}   {idle[0]:>9.2f} {idle[1]:>5.2f} {idle[2]:>5.2f}   "
            f"{export_ms:>9.1f} {len(r['export_s']):>7}   "
            f"{memory[0]:>8.0f}M {memory[1]:>7.0f}M {memory[2]:>6.0f}M"
        )
    ours = results.get(OURS, {})
    if ours.get("cache") is not None:
        print(f"  ours: {ours['cache']:,} series groups cached (idle ones are evicted)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="10k points, 3 s phases")
    parser.add_argument("--sizes", help="comma-separated point counts")
    parser.add_argument("--seconds", type=float, help="length of the exporting phase")
    parser.add_argument("--only", help="comma-separated: ours, contrib-fast, contrib")
    parser.add_argument("--child", nargs=3, metavar=("WHICH", "POINTS", "SECONDS"))
    args = parser.parse_args()
    if args.child:
        which, points, seconds = args.child
        print(json.dumps(child(which, int(points), float(seconds))))
        return
    default_sizes = "10000" if args.quick else "10000,100000"
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    seconds = args.seconds or (3.0 if args.quick else 8.0)
    which = (args.only or "ours,contrib-fast,contrib").split(",")
    print(f"Machine: {machine()}")
    print(f"Contrib exporter {contrib_version()}; receiver: another process, answers 204")
    print(f"Exporting phase: back-to-back export + flush for {seconds:.0f} s (at least 2 exports)")
    for points in sizes:
        results = {
            WHICH[w]: run_child("app_impact.py", "--child", w, str(points), str(seconds))
            for w in which
        }
        _print(points, results)


if __name__ == "__main__":
    main()
