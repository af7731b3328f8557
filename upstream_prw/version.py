"""The distribution's name and version, for the User-Agent header the spec requires."""

from __future__ import annotations

from importlib import metadata

__all__ = ["DISTRIBUTION", "USER_AGENT", "__version__"]

DISTRIBUTION = "otel-cortex-exporter"


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


__version__ = _version()
USER_AGENT = f"{DISTRIBUTION}/{__version__}"
"""RFC 9110 product token, e.g. `otel-cortex-exporter/0.1.0`."""
