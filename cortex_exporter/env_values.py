"""Values of environment variables, read as the OpenTelemetry SDK's own variables are.

Pure: each parser takes the variable's name and text and returns the value or raises a
`ConfigError` under the name. Header values may be API keys, so no message repeats one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import unquote

from upstream_prw.config.readers import quote
from upstream_prw.errors import ConfigError

__all__ = ["parse_flag", "parse_headers", "parse_millis"]

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NUMBER = re.compile(r"\d+(\.\d*)?|\.\d+")


def parse_flag(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise ConfigError(name, f"expected true or false, got {quote(text)}")


def _decode(name: str, part: str, entry: int) -> str:
    try:
        return unquote(part, errors="strict").strip()
    except UnicodeDecodeError:
        raise ConfigError(name, f"entry {entry}: invalid percent-encoding") from None


def parse_headers(name: str, text: str) -> Mapping[str, str]:
    """`name1=value1,name2=value2`, each part percent-decoded and stripped, as
    OTEL_EXPORTER_OTLP_HEADERS is; blank entries are skipped, malformed ones refused by
    their position (the header checks then run on the result as on any `headers`)."""
    headers: dict[str, str] = {}
    for entry, item in enumerate(text.split(","), start=1):
        if not item.strip():
            continue
        raw_name, equals, raw_value = item.partition("=")
        if not equals:
            raise ConfigError(name, f"entry {entry}: expected name=value")
        header = _decode(name, raw_name, entry)
        if not header:
            raise ConfigError(name, f"entry {entry}: the header name is empty")
        if header.lower() in (known.lower() for known in headers):
            raise ConfigError(name, f"entry {entry}: header {quote(header)} given twice")
        headers[header] = _decode(name, raw_value, entry)
    return MappingProxyType(headers)


def parse_millis(name: str, text: str) -> float:
    """Milliseconds, as OTEL_EXPORTER_OTLP_TIMEOUT, as float seconds; more than zero, since
    every request keeps a deadline."""
    stripped = text.strip()
    if not _NUMBER.fullmatch(stripped):
        raise ConfigError(name, f"expected milliseconds, e.g. 10000, got {quote(text)}")
    millis = float(stripped)
    if not math.isfinite(millis) or millis <= 0:
        raise ConfigError(name, "must be more than 0 milliseconds")
    return millis / 1000
