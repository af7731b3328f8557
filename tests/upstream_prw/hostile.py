"""Backends that misbehave on purpose, on 127.0.0.1, for the hardening tests.

    with HostileServer("trickle") as server:
        ...  # send to server.url

Each reads the request (headers and body), then:
    huge      500 with a 200 MB body, written as fast as the client takes it
    endless   500 with a chunked body that never ends
    trickle   500 with a body of 10,000 bytes sent one byte every 0.1 s
    dribble   a status line and headers sent one byte every 0.1 s, for ever
    silent    never answers, and keeps the connection open
A refused port is `refused_url()`: a port bound, then closed, so nothing listens.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

__all__ = ["HostileServer", "refused_url"]

_HEAD_500 = b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1/write"


def _read_request(conn: socket.socket) -> None:
    """Headers, then as many body bytes as Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


class HostileServer:
    """Answers every request the same bad way; `requests` counts the requests read."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/api/v1/write"
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> HostileServer:
        thread = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5.0)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5.0)
            try:
                _read_request(conn)
                self.requests += 1
                getattr(self, f"_{self.behaviour}")(conn)
            except OSError:  # the client gave up on us: that is the point
                pass

    def _huge(self, conn: socket.socket) -> None:
        size = 200 * 1024 * 1024
        conn.sendall(_HEAD_500 + f"Content-Length: {size}\r\n\r\n".encode())
        block = b"e" * 65536
        for _ in range(size // len(block)):
            if self._stop.is_set():
                return
            conn.sendall(block)

    def _endless(self, conn: socket.socket) -> None:
        conn.sendall(_HEAD_500 + b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (4096, b"n" * 4096)
        while not self._stop.is_set():
            conn.sendall(chunk)

    def _trickle(self, conn: socket.socket) -> None:
        conn.sendall(_HEAD_500 + b"Content-Length: 10000\r\n\r\n")
        for _ in range(10000):
            if self._stop.wait(0.1):
                return
            conn.sendall(b"t")

    def _dribble(self, conn: socket.socket) -> None:
        head = _HEAD_500 + b"".join(b"X-Pad-%d: x\r\n" % i for i in range(10000))
        for byte in head:
            if self._stop.wait(0.1):
                return
            conn.sendall(bytes([byte]))

    def _silent(self, conn: socket.socket) -> None:
        self._stop.wait(60.0)
