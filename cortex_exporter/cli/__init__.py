"""The `cortex-exporter` command: `demo`, `check` and `receive`."""

from __future__ import annotations

from cortex_exporter.cli.main import main

__all__ = ["main"]
