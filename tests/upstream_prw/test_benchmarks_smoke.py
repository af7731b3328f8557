"""The benchmarks still run end to end, at a size too small to time anything."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_encode_benchmark_prints_its_table() -> None:
    out = _run("encode.py", "--sizes", "200", "--repeat", "1")
    assert "steady ms" in out and "     200 " in out


def test_app_impact_measures_ours() -> None:
    out = _run("app_impact.py", "--sizes", "200", "--seconds", "0.3", "--only", "ours")
    assert "ours (defaults, queue on)" in out
    assert "series groups cached" in out


def _contrib_installed() -> bool:
    try:
        return (
            importlib.util.find_spec("opentelemetry.exporter.prometheus_remote_write") is not None
        )
    except ModuleNotFoundError:
        return False


@pytest.mark.skipif(
    not _contrib_installed(), reason="the contrib exporter (the bench extra) is not installed here"
)
def test_compare_runs_both_exporters() -> None:
    out = _run("compare.py", "--sizes", "200", "--rounds", "1")
    assert "contrib, resources_as_labels=False" in out and "Ratios" in out


def test_outage_benchmark_runs_an_outage_and_its_end() -> None:
    out = _run("outage.py", "--seconds", "1", "--points", "200")
    assert "peak RSS above baseline" in out
    assert "after the backend came up" in out
    assert "failed: ConnectionError" in out and "recovered after" in out
