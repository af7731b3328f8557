"""What the benchmarks share: the two exporters, process memory, and run helpers.

Memory: the resident set now (psutil), and its peak since the last `reset_peak_rss()`, which
writes 5 to /proc/self/clear_refs to reset the kernel's high-water mark, VmHWM (Linux).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from upstream_prw import PrometheusRemoteWriteExporter, new_exporter  # noqa: E402

__all__ = [
    "ROOT",
    "MiB",
    "contrib_exporter",
    "contrib_version",
    "machine",
    "measure_memory",
    "our_exporter",
    "peak_rss",
    "reset_peak_rss",
    "rss",
    "run_child",
]

MiB = 2**20


def our_exporter(url: str, **overrides: Any) -> PrometheusRemoteWriteExporter:
    """Ours with its default settings: queue on, 5 consumers, 3 MB batches."""
    return new_exporter({"endpoint": url, **overrides})


def contrib_exporter(url: str, *, resources_as_labels: bool = True) -> Any:
    """The contrib exporter (opentelemetry-exporter-prometheus-remote-write)."""
    try:
        from opentelemetry.exporter.prometheus_remote_write import (
            PrometheusRemoteWriteMetricsExporter,
        )
    except ImportError as exc:
        raise SystemExit(
            "the contrib exporter is not installed: pip install -e '.[bench]' "
            "(it needs protobuf<7 and python-snappy, so use a separate virtualenv)"
        ) from exc
    return PrometheusRemoteWriteMetricsExporter(url, resources_as_labels=resources_as_labels)


def contrib_version() -> str:
    from importlib.metadata import version

    try:
        return version("opentelemetry-exporter-prometheus-remote-write")
    except Exception:  # not installed
        return "not installed"


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def rss() -> int:
    """Resident set size now, in bytes."""
    try:
        import psutil
    except ImportError:  # the bench extra is not installed: read it from /proc
        return _status_kib("VmRSS") * 1024
    return int(psutil.Process().memory_info().rss)


def peak_rss() -> int:
    """Peak resident set size since `reset_peak_rss()`, in bytes."""
    return _status_kib("VmHWM") * 1024


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def measure_memory(action: Callable[[], object], *, traced: bool) -> int:
    """What `action` adds at its peak: traced Python allocations, or resident set size."""
    gc.collect()
    if traced:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        action()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak - before
    reset_peak_rss()
    before = rss()
    action()
    return peak_rss() - before


def run_child(script: str, *args: str) -> dict[str, Any]:
    """Run `script` (a benchmark) in a fresh interpreter; it prints one JSON object last."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def machine() -> str:
    """CPU model, cores and Python: what the figures were measured on."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    import os
    import platform

    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {time.strftime('%Y-%m-%d')}"
    )
