"""This exporter beside the contrib Python exporter, on the same deterministic data.

    python benchmarks/compare.py            # 1k, 10k and 100k points (about five minutes)
    python benchmarks/compare.py --quick    # 1k and 10k points, fewer runs

Needs the `bench` extra (the contrib exporter and psutil) in its own virtualenv. For each
size it measures, in one run:

- ours, from `export()` until the receiver has answered every request (`force_flush`),
  cold (a new exporter: caches empty) and steady (the same series again, as at every later
  collection); and the encoding alone (translate, encode, compress; nothing sent);
- the contrib exporter's `export()` (it posts synchronously), with its defaults and with
  `resources_as_labels=False`; at 100k points one export takes seconds, so it runs once;
- the floor: a bare loop touching every point, attribute and bucket once;
- requests per export and their sizes, as the receiver (another process) saw them;
- memory an export adds at its peak, each in a fresh process: Python allocations
  (tracemalloc) and resident set size (/proc/self VmHWM, reset before the export).

Runs of the different measurements are interleaved, round after round, so that a slow spell
of the machine does not land on one of them only. Times are medians. Stops by itself.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from harness import (
    MiB,
    contrib_exporter,
    contrib_version,
    machine,
    measure_memory,
    our_exporter,
    run_child,
)
from receiver import ReceiverProcess
from workload import make_metrics_data, touch_everything

from upstream_prw import TranslationSettings
from upstream_prw.encode import MetricsEncoder

OURS = "ours"
CONTRIB = "contrib, defaults"
CONTRIB_FAST = "contrib, resources_as_labels=False"
STEADY, COLD = "ours, steady: export + flush", "ours, cold: export + flush"
ENCODE_STEADY, ENCODE_COLD = "ours, steady: encoding only", "ours, cold: encoding only"
FLOOR = "floor: touch every point"


def _timed(action: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _export_and_flush(exporter: Any, data: Any) -> None:
    exporter.export(data)
    exporter.force_flush(600_000)


def _discard(_: object) -> None:
    pass


class Measurements:
    """Timings by name, and what the receiver saw for one export of each exporter."""

    def __init__(self, rx: ReceiverProcess, data: list[Any]) -> None:
        self.rx = rx
        self.data = data
        self.times: dict[str, list[float]] = {}
        self.sent: dict[str, dict[str, int]] = {}
        settings = TranslationSettings()
        self._steady = our_exporter(rx.url, send_stale_markers_on_shutdown=False)
        _export_and_flush(self._steady, data[0])
        self._encoder = MetricsEncoder(settings, num_shards=5)
        self._encoder.encode(data[0], _discard)
        self._settings = settings
        self._round = 0

    def record(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)

    def sending(self, name: str, action: Callable[[], object]) -> None:
        """Time `action` and keep what the receiver got meanwhile."""
        self.rx.reset()
        self.record(name, _timed(action))
        self.sent[name] = self.rx.stats()

    def ours(self, runs: int) -> None:
        """A round of ours: steady and cold, each with and without sending, and the floor."""
        data = self.data
        for _ in range(runs):
            self._round += 1
            later = data[1 + self._round % 2]  # the same series, another collection
            self.sending(STEADY, lambda d=later: _export_and_flush(self._steady, d))
            self.record(ENCODE_STEADY, _timed(lambda d=later: self._encoder.encode(d, _discard)))
            self.record(FLOOR, _timed(lambda d=later: touch_everything(d)))
        cold = our_exporter(self.rx.url, send_stale_markers_on_shutdown=False)
        self.record(COLD, _timed(lambda: _export_and_flush(cold, data[0])))
        cold.shutdown()
        fresh = MetricsEncoder(self._settings, num_shards=5)
        self.record(ENCODE_COLD, _timed(lambda: fresh.encode(data[0], _discard)))

    def contrib(self, name: str, exporter: Any) -> None:
        self.sending(name, lambda: exporter.export(self.data[0]))

    @property
    def cache_size(self) -> int:
        return self._steady.cache_size

    def close(self) -> None:
        self._steady.shutdown()


def measure(rx: ReceiverProcess, points: int, rounds: int) -> Measurements:
    data = [make_metrics_data(points, collection=c) for c in (1, 2, 3)]
    m = Measurements(rx, data)
    fast = contrib_exporter(rx.url, resources_as_labels=False)
    default = contrib_exporter(rx.url, resources_as_labels=True)
    contrib_rounds = 1 if points >= 100_000 else rounds
    for r in range(rounds):
        m.ours(3)
        if r < contrib_rounds:
            m.contrib(CONTRIB_FAST, fast)
            m.contrib(CONTRIB, default)
    m.close()
    return m


def memory_child(which: str, points: int, traced: bool) -> dict[str, Any]:
    """In a fresh process: what one export adds at its peak (ours: cold, then steady)."""
    data = [make_metrics_data(points, collection=c) for c in (1, 2)]
    out: dict[str, Any] = {}
    with ReceiverProcess() as rx:
        if which == OURS:
            ours = our_exporter(rx.url, send_stale_markers_on_shutdown=False)
            for phase, d in (("cold", data[0]), ("steady", data[1])):
                out[phase] = measure_memory(lambda d=d: _export_and_flush(ours, d), traced=traced)
            ours.shutdown()
        else:
            contrib = contrib_exporter(rx.url, resources_as_labels=which == CONTRIB)
            out["cold"] = measure_memory(lambda: contrib.export(data[0]), traced=traced)
    return out


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def _print_size(points: int, m: Measurements, memory: dict[str, dict[str, Any]]) -> None:
    floor = _ms(m.times[FLOOR])
    print(f"\n{points:,} points")
    print(
        f"  {'':36} {'runs':>4} {'median ms':>10} {'x floor':>8}   {'requests':>8} "
        f"{'largest KiB':>11} {'(raw)':>7} {'total KiB':>9}"
    )
    for name in (FLOOR, STEADY, COLD, ENCODE_STEADY, ENCODE_COLD, CONTRIB_FAST, CONTRIB):
        times = m.times[name]
        line = f"  {name:36} {len(times):>4} {_ms(times):>10.1f} {_ms(times) / floor:>8.1f}"
        sent = m.sent.get(name)
        if sent:
            line += (
                f"   {sent['requests']:>8} {sent['max_bytes'] / 1024:>11,.0f} "
                f"{sent['max_raw'] / 1024:>7,.0f} {sent['bytes'] / 1024:>9,.0f}"
            )
        print(line)
    print(f"  ours: {m.cache_size:,} series groups cached after the steady runs")
    print(f"  memory one export adds at its peak (MiB): {'tracemalloc':>11} {'RSS':>7}")
    for which, phase in (
        (OURS, "cold"),
        (OURS, "steady"),
        (CONTRIB_FAST, "cold"),
        (CONTRIB, "cold"),
    ):
        label = f"{which}, {phase}" if which == OURS else which
        traced, rss = memory[which]["traced"][phase], memory[which]["rss"][phase]
        print(f"    {label:40} {traced / MiB:>11.1f} {rss / MiB:>7.1f}")


def _print_ratios(results: dict[int, tuple[Measurements, dict[str, dict[str, Any]]]]) -> None:
    print("\nRatios: contrib (resources_as_labels=False) time or memory / ours")
    for points, (m, memory) in results.items():
        fast = _ms(m.times[CONTRIB_FAST])
        ours_rss = max(memory[OURS]["rss"]["cold"], 1)
        print(
            f"  {points:>7,} points: steady {fast / _ms(m.times[STEADY]):5.1f}x faster "
            f"(encoding only {fast / _ms(m.times[ENCODE_STEADY]):5.1f}x), "
            f"cold {fast / _ms(m.times[COLD]):5.1f}x, "
            f"peak RSS {memory[CONTRIB_FAST]['rss']['cold'] / ours_rss:5.1f}x lower; "
            f"ours steady = {_ms(m.times[STEADY]) / _ms(m.times[FLOOR]):4.1f}x the floor"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k points, fewer runs")
    parser.add_argument("--sizes", help="comma-separated point counts")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved runs")
    parser.add_argument("--memory-child", nargs=3, metavar=("WHICH", "POINTS", "MODE"))
    args = parser.parse_args()
    if args.memory_child:
        which, points, mode = args.memory_child
        print(json.dumps(memory_child(which, int(points), mode == "traced")))
        return
    default_sizes = "1000,10000" if args.quick else "1000,10000,100000"
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    rounds = args.rounds or (2 if args.quick else 5)
    print(f"Machine: {machine()}")
    print(f"Contrib exporter {contrib_version()}; receiver: another process, answers 204")
    print(
        f"{rounds} rounds, each: ours 3 steady runs (export + flush, encoding only, floor), "
        "1 cold; contrib 1 run per setting (at 100k points: in the first round only)"
    )
    results = {}
    with ReceiverProcess() as rx:
        for points in sizes:
            m = measure(rx, points, rounds)
            memory = {
                which: {
                    mode: run_child("compare.py", "--memory-child", which, str(points), mode)
                    for mode in ("traced", "rss")
                }
                for which in (OURS, CONTRIB_FAST, CONTRIB)
            }
            _print_size(points, m, memory)
            results[points] = (m, memory)
    _print_ratios(results)


if __name__ == "__main__":
    main()
