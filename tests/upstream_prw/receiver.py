"""A local remote-write receiver that answers from a script, for fault-injection tests.

    with Receiver() as rx:
        rx.script(Step(503, headers={"Retry-After": "1"}), DROP, Step(delay=2.0))
        ...  # send to rx.url
        rx.wait_for(3)

Scripted steps are used in arrival order, then `judge` (if set: it sees the decoded request),
then `responder` (if set), then 204. Every request
is recorded with its arrival time, headers, raw body, decoded WriteRequest and our answer.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import cramjam
from requests.structures import CaseInsensitiveDict

from upstream_prw.proto import remote_pb2

__all__ = ["DROP", "Received", "Receiver", "Step"]


@dataclass(frozen=True)
class Step:
    """One scripted answer: wait `delay` seconds, then answer or (`drop`) hang up."""

    status: int = 204
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    delay: float = 0.0
    drop: bool = False


DROP = Step(drop=True)
"""Read the request, then close the connection without answering."""


@dataclass(frozen=True)
class Received:
    """One request as it arrived; `status` is what we answered (None when dropped)."""

    arrival: float
    method: str
    path: str
    headers: CaseInsensitiveDict[str]
    body: bytes
    write_request: remote_pb2.WriteRequest | None
    status: int | None

    def series(self) -> Iterator[tuple[dict[str, str], list[tuple[int, float]]]]:
        """Each series' labels and (timestamp, value) samples, in request order."""
        if self.write_request is None:
            return
        for ts in self.write_request.timeseries:
            labels = {label.name: label.value for label in ts.labels}
            yield labels, [(s.timestamp, s.value) for s in ts.samples]


def _decode(headers: CaseInsensitiveDict[str], body: bytes) -> remote_pb2.WriteRequest | None:
    if headers.get("Content-Encoding") != "snappy":
        return None
    try:
        message = remote_pb2.WriteRequest()
        message.ParseFromString(bytes(cramjam.snappy.decompress_raw(body)))
    except Exception:  # not ours to judge here: tests assert on write_request
        return None
    return message


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: Receiver) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that time out leave broken pipes behind; that is the point of some tests."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the recorded requests are the log."""

    def do_POST(self) -> None:
        arrival = time.monotonic()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        owner = self.server.owner
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(self.headers.items())
        write_request = _decode(headers, body)
        step = owner._next_step(write_request)
        if step.delay:
            owner._closing.wait(step.delay)
        received = Received(
            arrival=arrival,
            method=self.command,
            path=self.path,
            headers=headers,
            body=body,
            write_request=write_request,
            status=None if step.drop else step.status,
        )
        owner._record(received)
        if step.drop:
            self.close_connection = True
            return
        payload = step.body.encode("utf-8")
        self.send_response(step.status)
        for name, value in step.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Receiver:
    """Remote-write receiver on 127.0.0.1 with an ephemeral port, served from a thread."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._steps: deque[Step] = deque()
        self._received: list[Received] = []
        self._closing = threading.Event()
        self.responder: Callable[[], Step] | None = None
        self.judge: Callable[[remote_pb2.WriteRequest | None], Step] | None = None
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="test-receiver", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/api/v1/write"

    def script(self, *steps: Step) -> None:
        """Queue answers for the next requests, in arrival order."""
        with self._lock:
            self._steps.extend(steps)

    def _next_step(self, write_request: remote_pb2.WriteRequest | None) -> Step:
        with self._lock:
            if self._steps:
                return self._steps.popleft()
        if self.judge is not None:
            return self.judge(write_request)
        return self.responder() if self.responder is not None else Step()

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()

    @property
    def received(self) -> list[Received]:
        """Every request so far, by arrival time (a slow answer is recorded late)."""
        with self._lock:
            return sorted(self._received, key=lambda r: r.arrival)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least `count` requests arrived; fail the test if they do not."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._received) >= count, timeout):
                raise AssertionError(f"expected {count} requests, got {len(self._received)}")
        return self.received

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)

    def __enter__(self) -> Receiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
