"""A remote-write sink in its own process: answers 204 at once, counts what arrived.

    with ReceiverProcess() as rx:
        ...  # POST to rx.url
        rx.stats()  # {"requests": n, "bytes": total, "max_bytes": m, "max_raw": r}
        rx.reset()

It runs in a separate process so that reading requests takes no time from the process being
measured. Raw sizes are read from the snappy header (the uncompressed length comes first), so
the sink decompresses nothing and leaves the CPU to the sender.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["ReceiverProcess"]


class _Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = self.bytes = self.max_bytes = self.max_raw = self.raw = 0

    def as_dict(self) -> dict[str, int]:
        with self.lock:
            return {
                "requests": self.requests,
                "bytes": self.bytes,
                "max_bytes": self.max_bytes,
                "raw": self.raw,
                "max_raw": self.max_raw,
            }


def _raw_size(body: bytes) -> int:
    """The uncompressed length a snappy block starts with (a varint)."""
    size = shift = 0
    for byte in body[:10]:
        size |= (byte & 0x7F) << shift
        if byte < 0x80:
            return size
        shift += 7
    return 0


def _serve(port: int) -> None:
    counts = _Counts()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: senders with a session reuse connections

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            raw = _raw_size(body)
            with counts.lock:
                counts.requests += 1
                counts.bytes += len(body)
                counts.max_bytes = max(counts.max_bytes, len(body))
                counts.raw += raw
                counts.max_raw = max(counts.max_raw, raw)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            if self.path == "/reset":
                with counts.lock:
                    counts.reset()
            payload = json.dumps(counts.as_dict()).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the parent closes our stdin (or dies): time to go
    server.shutdown()


class ReceiverProcess:
    """Starts the sink in a child process; stops it on exit."""

    def __enter__(self) -> ReceiverProcess:
        self._proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        port = int(self._proc.stdout.readline())
        self.base = f"http://127.0.0.1:{port}"
        self.url = self.base + "/api/v1/write"
        return self

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(self.base + "/stats") as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def reset(self) -> None:
        with urllib.request.urlopen(self.base + "/reset") as response:
            response.read()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(10)


if __name__ == "__main__":
    _serve(0)
