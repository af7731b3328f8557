"""Labelled, wrapped, secret-scrubbed lines: how every command talks to the terminal."""

from __future__ import annotations

import math
import textwrap
from typing import TextIO

__all__ = ["Report", "format_value", "redact_key"]

_LABEL_WIDTH = 12
_WIDTH = 100


def redact_key(access_key: str) -> str:
    """The first four characters of an access key id: enough to tell keys apart."""
    return access_key[:4] + "***"


def format_value(value: float) -> str:
    """Integers without a decimal point, other numbers with six significant digits."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


class Report:
    """Labelled, wrapped lines; every line is scrubbed of the secrets it was told about."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._secrets: list[tuple[str, str]] = []

    def hide(self, secret: str | None, shown: str) -> None:
        if secret:
            self._secrets.append((secret, shown))

    def line(self, label: str, text: str = "") -> None:
        for secret, shown in self._secrets:
            text = text.replace(secret, shown)
        indent = " " * (_LABEL_WIDTH + 2)
        lines = text.splitlines() or [""]
        first = True
        for paragraph in lines:
            wrapped = textwrap.wrap(
                paragraph, _WIDTH - len(indent), break_long_words=False, break_on_hyphens=False
            )
            for part in wrapped or [""]:
                head = f"  {label:<{_LABEL_WIDTH}}" if first else indent
                self._out.write(f"{head}{part}".rstrip() + "\n")
                first = False
        self._out.flush()

    def text(self, text: str = "") -> None:
        """An unlabelled line, scrubbed like the others."""
        for secret, shown in self._secrets:
            text = text.replace(secret, shown)
        self._out.write(text.rstrip() + "\n")
        self._out.flush()
