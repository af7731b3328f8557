"""A loopback stand-in for an AMP workspace: remote write and instant queries under
`/workspaces/<id>/api/v1/`, every request's SigV4 signature checked by `auth.verify`."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from auth.credentials import utc_now
from auth.verify import verify
from cortex_exporter.cli.received import decode_write

_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass
class Workspace:
    """What the stand-in stored and saw."""

    url: str = ""
    prefix: str = "/workspaces/ws-x/api/v1"
    secrets: dict[str, str] = field(default_factory=dict)
    stored: list[tuple[dict[str, str], float]] = field(default_factory=list)
    seen: list[tuple[str, str, bool]] = field(default_factory=list)  # method, path, verified
    query_status: int = 200

    def matching(self, query: str) -> list[tuple[dict[str, str], float]]:
        wanted = {name: json.loads(f'"{value}"') for name, value in _MATCHER.findall(query)}
        return [
            (labels, value)
            for labels, value in self.stored
            if all(labels.get(k) == v for k, v in wanted.items())
        ]


def _handler(ws: Workspace) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _verified(self, body: bytes) -> bool:
            verdict = verify(
                method=self.command,
                target=self.path,
                headers=list(self.headers.items()),
                body=body,
                secrets=ws.secrets,
                now=utc_now(),
                region="us-east-1",
                service="aps",
            )
            path = urlsplit(self.path).path
            ws.seen.append((self.command, path, verdict.ok))
            if not verdict.ok:
                message = {"message": f"signature does not verify: {verdict.reason}"}
                self._answer(403, json.dumps(message).encode())
            return verdict.ok

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self._verified(body):
                return
            if urlsplit(self.path).path != f"{ws.prefix}/remote_write":
                self._answer(404, b'{"message":"Not Found"}')
                return
            for series in decode_write(body):
                labels = dict(series.labels)
                ws.stored.extend((labels, value) for _, value in series.samples)
            self._answer(200, b"", "text/plain")

        def do_GET(self) -> None:
            if not self._verified(b""):
                return
            parts = urlsplit(self.path)
            if parts.path != f"{ws.prefix}/query":
                self._answer(404, b'{"message":"Not Found"}')
                return
            if ws.query_status != 200:
                message = {"message": "User: x is not authorized to perform: aps:QueryMetrics"}
                self._answer(ws.query_status, json.dumps(message).encode())
                return
            (query,) = parse_qs(parts.query)["query"]
            result = [
                {"metric": labels, "value": [0, str(value)]} for labels, value in ws.matching(query)
            ]
            data = {"status": "success", "data": {"resultType": "vector", "result": result}}
            self._answer(200, json.dumps(data).encode())

    return Handler


@contextmanager
def amp_workspace(secrets: dict[str, str]) -> Iterator[Workspace]:
    """The stand-in on 127.0.0.1 (ephemeral port); `url` is the workspace's base URL."""
    ws = Workspace(secrets=secrets)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ws))
    ws.url = f"http://127.0.0.1:{server.server_address[1]}/workspaces/ws-x"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield ws
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
