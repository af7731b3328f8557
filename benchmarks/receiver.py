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
import socket
import socketserver
import subprocess
import sys
import threading
import urllib.request
from types import TracebackType

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


_NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


def _serve(port: int) -> None:
    """HTTP/1.1 with keep-alive, parsed by hand: the sink answers in tens of microseconds,
    as a real backend would, instead of the hundreds http.server spends per request."""
    counts = _Counts()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = sock.recv(1 << 16)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                length = int({k.lower(): v for k, v in headers.items()}.get("content-length", 0))
                chunks = [buffer]
                have = len(buffer)
                while have < length:
                    chunk = sock.recv(max(1 << 16, length - have))
                    if not chunk:
                        return
                    chunks.append(chunk)
                    have += len(chunk)
                data = b"".join(chunks)
                body, buffer = data[:length], data[length:]
                if method == "POST":
                    self._count(body)
                    sock.sendall(_NO_CONTENT)
                else:
                    sock.sendall(self._stats(path))

        @staticmethod
        def _count(body: bytes) -> None:
            raw = _raw_size(body)
            with counts.lock:
                counts.requests += 1
                counts.bytes += len(body)
                counts.max_bytes = max(counts.max_bytes, len(body))
                counts.raw += raw
                counts.max_raw = max(counts.max_raw, raw)

        @staticmethod
        def _stats(path: str) -> bytes:
            if path == "/reset":
                with counts.lock:
                    counts.reset()
            payload = json.dumps(counts.as_dict()).encode()
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(payload)}\r\n\r\n"
            return head.encode() + payload

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the parent closes our stdin (or dies): time to go
    server.shutdown()


class ReceiverProcess:
    """Starts the sink in a child process (on `port`, or any free one); stops it on exit."""

    def __init__(self, port: int = 0) -> None:
        self._port = port

    def __enter__(self) -> ReceiverProcess:
        self._proc = subprocess.Popen(
            [sys.executable, __file__, str(self._port)],
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
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
