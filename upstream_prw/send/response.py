"""Reading a backend's answer without trusting it: a byte cap, a wall-clock deadline, and
text made safe for one log line.

A socket timeout only bounds silence: a body trickled a byte at a time, or one that never
ends, would hold a worker for good. So the body is read a chunk at a time, each read with
at most the time left, and no more than `ERROR_BODY_BYTES` of it is kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import requests

__all__ = ["ERROR_BODY_BYTES", "LOG_BODY_CHARS", "loggable", "read_capped"]

ERROR_BODY_BYTES = 64 * 1024
"""The most of a response body kept: enough for any backend's error message."""

LOG_BODY_CHARS = 256
"""The most of a body that goes into a log line or an error message."""

_CHUNK = 8192


def _set_socket_timeout(response: requests.Response, seconds: float) -> None:
    """Bound the next read on the response's socket (urllib3 keeps the connection on it)."""
    connection: Any = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: the next read says so
            sock.settimeout(max(seconds, 0.001))


def read_capped(response: requests.Response, deadline: float, clock: Callable[[], float]) -> bytes:
    """Up to `ERROR_BODY_BYTES` of the body, read until `deadline` (on `clock`) at the latest.

    Read to its end, the connection goes back to the pool; otherwise closing the response
    discards it, which is what a connection in an unknown state deserves.
    """
    chunks: list[bytes] = []
    size = 0
    while size < ERROR_BODY_BYTES:
        remaining = deadline - clock()
        if remaining <= 0:
            break
        _set_socket_timeout(response, remaining)
        try:
            chunk = response.raw.read1(min(_CHUNK, ERROR_BODY_BYTES - size))
        except Exception:  # a timeout, a reset, a broken chunk: what arrived is the answer
            break
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def loggable(body: bytes) -> str:
    """The start of a body as one line of text: control characters escaped (so a body
    cannot forge log lines or colour a terminal), cut at `LOG_BODY_CHARS` characters."""
    text = body[: LOG_BODY_CHARS * 4].decode("utf-8", "replace").strip()
    out: list[str] = []
    length = 0
    for char in text:
        piece = char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        out.append(piece)
        length += len(piece)
        if length >= LOG_BODY_CHARS:
            break
    return "".join(out)[:LOG_BODY_CHARS]
