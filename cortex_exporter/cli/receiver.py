"""A remote-write receiver for looking at what an exporter sends, and whether it is signed.

It decodes each request (snappy, `WriteRequest`), checks its SigV4 signature with
`auth.verify` when it knows the secret, and answers as AMP would: 204, or 403 with AWS's
wording when the signature does not verify. `demo`, `receive` and the tests share it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from auth import verify
from auth.credentials import utc_now
from cortex_exporter.cli.received import (
    ReceivedSeries,
    ReceivedWrite,
    Reply,
    SeriesState,
    decode_write,
    series_order,
    written_headers,
)
from upstream_prw.config.translation import V2_MESSAGE
from upstream_prw.translate import is_stale

__all__ = ["AMP_MESSAGES", "InspectionReceiver"]

AMP_MESSAGES = {
    "unsigned": "Missing Authentication Token",
    "unknown key": "The security token included in the request is invalid.",
    "mismatch": (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    ),
    "skew": "Signature expired: the request time is too far from the server's time.",
    "scope": "Credential should be scoped to a valid region.",
}
"""What AMP answers (403) for each kind of signature failure, so `check` can be tried here."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: InspectionReceiver, host: str, port: int) -> None:
        self.owner = owner
        super().__init__((host, port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-request is not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the owner reports requests its own way."""

    def do_GET(self) -> None:
        self._answer(Reply(405, "remote-write receiver: POST here\n", {"Allow": "POST"}))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = self.server.owner._handle(self.command, self.path, self.headers.items(), body)
        self._answer(reply)

    def _answer(self, reply: Reply) -> None:
        payload = reply.body.encode("utf-8")
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class InspectionReceiver:
    """Remote-write receiver served from a thread; port 0 picks a free one.

    `secrets` maps access key ids to secret keys to verify against; with them, a request
    that does not verify gets AMP's 403. `respond` overrides every answer (tests script
    status codes with it); `on_request` sees each request after it is recorded.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        secrets: Mapping[str, str] | None = None,
        region: str | None = None,
        service: str | None = None,
        on_request: Callable[[ReceivedWrite], None] | None = None,
        respond: Callable[[ReceivedWrite], Reply] | None = None,
    ) -> None:
        self._secrets = dict(secrets or {})
        self._region = region
        self._service = service
        self._on_request = on_request
        self.respond = respond
        self._lock = threading.Condition()
        self._received: list[ReceivedWrite] = []
        self._arrived = 0
        self._series: dict[tuple[tuple[str, str], ...], SeriesState] = {}
        self._server = _Server(self, host, port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="rw-receiver", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/api/v1/write"

    @property
    def received(self) -> list[ReceivedWrite]:
        with self._lock:
            return list(self._received)

    def series(self) -> list[SeriesState]:
        """The latest state of every series received, sorted by name then labels."""
        with self._lock:
            states = list(self._series.values())
        return sorted(states, key=series_order)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until `count` requests have arrived; False if they did not in time."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._received) >= count, timeout)

    def _verify(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[str, bool | None, str]:
        """(verdict shown, ok or None if unchecked, AMP message kind for a failure)."""
        signed = any(name.lower() == "authorization" for name, _ in headers)
        if not self._secrets:
            return ("signed, not checked" if signed else "unsigned"), None, ""
        if not signed:
            return "unsigned", False, "unsigned"
        verdict = verify(
            method=method,
            target=target,
            headers=headers,
            body=body,
            secrets=self._secrets,
            now=utc_now(),
            region=self._region,
            service=self._service,
        )
        if verdict.ok:
            return "verified", True, ""
        reason = verdict.reason
        kind = "mismatch"
        if reason == "unknown access key":
            kind = "unknown key"
        elif "skewed" in reason:
            kind = "skew"
        elif "scoped to" in reason:
            kind = "scope"
        return f"FAILED: {reason}", False, kind

    def _handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Reply:
        verdict, ok, kind = self._verify(method, target, headers, body)
        series: tuple[ReceivedSeries, ...] = ()
        error = ""
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        try:
            series = decode_write(body, content_type)
        except Exception as exc:  # whatever the bytes were, the sender should hear why
            error = f"cannot decode the body as a snappy WriteRequest: {type(exc).__name__}: {exc}"
        if ok is False:
            reply = Reply(403, json.dumps({"message": AMP_MESSAGES[kind]}))
        elif error:
            reply = Reply(400, error + "\n")
        elif V2_MESSAGE in content_type:  # a 2.0 receiver says what it wrote
            reply = Reply(headers=written_headers(series))
        else:
            reply = Reply()
        with self._lock:
            self._arrived += 1
            number = self._arrived
        write = ReceivedWrite(
            number=number,
            method=method,
            path=target,
            headers=tuple(headers),
            body=body,
            series=series,
            signature=verdict,
            signature_ok=ok,
            status=reply.status,
            error=error,
        )
        if self.respond is not None:  # outside the lock: a test may make it slow
            reply = self.respond(write)
            write = replace(write, status=reply.status)
        with self._lock:
            self._received.append(write)
            if 200 <= reply.status < 300:
                self._remember(series)
            if self._on_request is not None:
                self._on_request(write)
            self._lock.notify_all()
        return reply

    def _remember(self, series: tuple[ReceivedSeries, ...]) -> None:
        for ts in series:
            key = tuple(sorted(ts.labels))
            state = self._series.get(key)
            if state is None:
                labels = {k: v for k, v in ts.labels if k != "__name__"}
                state = self._series[key] = SeriesState(ts.name, labels)
            state.samples += len(ts.samples) + len(ts.histograms)
            for _, value in ts.samples:
                state.stale = is_stale(value)
                if not state.stale:
                    state.value = value
            for _, count, total in ts.histograms:
                state.stale = False
                state.histogram = (count, total)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)

    def __enter__(self) -> InspectionReceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
