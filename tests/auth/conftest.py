"""Loopback servers for the auth tests: a request recorder and a local STS (moto)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from moto.server import ThreadedMotoServer


@dataclass(frozen=True)
class Captured:
    """One request exactly as the server read it off the socket."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None


@dataclass
class CaptureServer:
    """Records every request and answers with a fixed status and body."""

    url: str
    requests: list[Captured] = field(default_factory=list)
    status: int = 204
    reply: Callable[[Captured], bytes] = lambda _: b""


def _handler(server: CaptureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            captured = Captured(
                self.command, self.path, list(self.headers.items()), self.rfile.read(length)
            )
            server.requests.append(captured)
            payload = server.reply(captured)
            self.send_response(server.status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._record()

        def do_POST(self) -> None:
            self._record()

        def do_PUT(self) -> None:
            self._record()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def capture_server() -> Iterator[CaptureServer]:
    """An HTTP server on 127.0.0.1 (ephemeral port) that records what it receives."""
    state = CaptureServer(url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def _moto() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def local_sts(_moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A moto STS on 127.0.0.1 that botocore's STS clients are pointed at."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", _moto)
    return _moto
