"""Translate + encode + compress throughput and peak memory at 1k/10k/100k points.

    python benchmarks/encode.py [--repeat 7] [--v2]

Cold: a fresh encoder (caches empty). Steady: the same series again, as at every later
collection. `--v2`: as Remote Write 2.0 (start timestamps, each request rewritten with its
symbol table). Prints medians; stops by itself.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import make_metrics_data, touch_everything

from upstream_prw import TranslationSettings
from upstream_prw.encode import MetricsEncoder
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.upgrade import Upgrader

Pair = tuple[MetricsEncoder, Upgrader | None]


def _new(settings: TranslationSettings, v2: bool) -> Pair:
    encoder = MetricsEncoder(settings, num_shards=5)
    encoder.v2 = v2
    return encoder, Upgrader(encoder.catalog, encoder.max_batch_size_bytes, 65536) if v2 else None


def _run(pair: Pair, data: object) -> tuple[float, int, int]:
    encoder, upgrader = pair
    sizes: list[int] = []

    def emit(request: EncodedRequest) -> None:
        out = [request] if upgrader is None else upgrader.upgrade(request)
        sizes.extend(len(each.payload) for each in out)

    start = time.perf_counter()
    if upgrader is not None:
        upgrader.start_export()
    report = encoder.encode(data, emit)
    return time.perf_counter() - start, report.series, sum(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--v2", action="store_true", help="encode as Remote Write 2.0")
    args = parser.parse_args()
    settings = TranslationSettings()
    print(f"{'points':>8} {'series':>8} {'cold ms':>9} {'steady ms':>10} {'floor ms':>9} "
          f"{'steady pts/s':>13} {'peak MiB':>9} {'compressed':>11}")  # fmt: skip
    for n in map(int, args.sizes.split(",")):
        cold, steady, floor = [], [], []
        data = [make_metrics_data(n, collection=c) for c in (1, 2)]
        for _ in range(args.repeat):
            encoder = _new(settings, args.v2)
            gc.collect()
            t, _, _ = _run(encoder, data[0])
            cold.append(t)
            t, series, compressed = _run(encoder, data[1])
            steady.append(t)
            start = time.perf_counter()
            touch_everything(data[1])
            floor.append(time.perf_counter() - start)
        gc.collect()
        tracemalloc.start()
        encoder = _new(settings, args.v2)
        _run(encoder, data[0])
        _run(encoder, data[1])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        s = statistics.median(steady)
        print(f"{n:>8} {series:>8} {statistics.median(cold) * 1e3:>9.1f} {s * 1e3:>10.1f} "
              f"{statistics.median(floor) * 1e3:>9.1f} {n / s:>13,.0f} {peak / 2**20:>9.1f} "
              f"{compressed:>11,}")  # fmt: skip


if __name__ == "__main__":
    main()
