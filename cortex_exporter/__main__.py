"""`python -m cortex_exporter`: the same command as `cortex-exporter`."""

from cortex_exporter.cli import main

__all__: list[str] = []

raise SystemExit(main())
