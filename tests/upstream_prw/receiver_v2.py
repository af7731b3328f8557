"""A local receiver that speaks Remote Write 2.0 (or pretends not to), for negotiation tests.

    with ReceiverV2("415") as rx:
        ...  # send to rx.url
        rx.wait_for(2)

Every 2.0 request is decoded with the generated classes and checked against each MUST of
the 2.0 specification that can be checked (`violations`); a request breaking one is answered
400 with the list, and kept in `rx.violations`. 1.0 requests are decoded with `remote_pb2`.
What a 2.0 request is answered depends on the mode (settable at any time):

    v2          2xx with the Written headers, counting everything the request carried
    fewer       2xx with Written headers one sample (or histogram) short
    no-written  2xx without Written headers: a 1.x receiver that ignores Content-Type
    415         415 Unsupported Media Type
    400         400 and a decoding error, as some 1.x receivers answer

1.0 requests are answered `v1_status` (204 unless told otherwise).
"""

from __future__ import annotations

import itertools
import math
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import cramjam
from requests.structures import CaseInsensitiveDict

from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE
from upstream_prw.proto import remote_pb2
from upstream_prw.proto import remote_v2_pb2 as v2

__all__ = ["MODES", "STALE_NAN_BITS", "Arrival", "ReceiverV2", "is_stale", "violations"]

MODES = ("v2", "fewer", "no-written", "415", "400")
STALE_NAN_BITS = 0x7FF0000000000002
_MAX_BODY = 16 << 20
_V2_TYPE = f"application/x-protobuf;proto={V2_MESSAGE}"
_COUNTER_LIKE = {
    v2.Metadata.METRIC_TYPE_COUNTER,
    v2.Metadata.METRIC_TYPE_HISTOGRAM,
    v2.Metadata.METRIC_TYPE_SUMMARY,
}


def is_stale(value: float) -> bool:
    """Prometheus' stale marker: one particular NaN, told apart from others by its bits."""
    return math.isnan(value) and struct.unpack("<Q", struct.pack("<d", value))[0] == STALE_NAN_BITS


def _series_violations(symbols: list[str], ts: v2.TimeSeries, where: str) -> list[str]:
    found: list[str] = []
    refs = list(ts.labels_refs)
    if not refs or len(refs) % 2:
        found.append(f"{where}: labels_refs empty or of odd length {len(refs)}")
    if any(ref >= len(symbols) for ref in refs):
        return [*found, f"{where}: a labels_refs reference points past the symbols table"]
    names = [symbols[ref] for ref in refs[0::2]]
    if names != sorted(set(names)):
        found.append(f"{where}: label names not sorted or repeated: {names}")
    labels = dict(zip(names, (symbols[ref] for ref in refs[1::2]), strict=False))
    if not labels.get("__name__"):
        found.append(f"{where}: no __name__ label")
    if bool(ts.samples) == bool(ts.histograms):
        found.append(f"{where}: needs samples or histograms, not both and not neither")
    points = [(s.timestamp, s.start_timestamp, is_stale(s.value)) for s in ts.samples]
    points += [(h.timestamp, h.start_timestamp, False) for h in ts.histograms]
    stamps = [point[0] for point in points]
    if any(later <= earlier for earlier, later in itertools.pairwise(stamps)):
        found.append(f"{where}: timestamps not in increasing order: {stamps}")
    metadata = ts.metadata
    if metadata.type == v2.Metadata.METRIC_TYPE_UNSPECIFIED:
        found.append(f"{where}: metadata type not set")
    for timestamp, start, stale in points:
        if metadata.type in _COUNTER_LIKE and not start and not stale:
            found.append(f"{where}: no start_timestamp on a {labels.get('__name__')} point")
        if start > timestamp:
            found.append(f"{where}: start_timestamp {start} after its timestamp {timestamp}")
    if max(metadata.help_ref, metadata.unit_ref) >= len(symbols):
        found.append(f"{where}: a metadata reference points past the symbols table")
    for exemplar in ts.exemplars:
        exemplar_refs = list(exemplar.labels_refs)
        if len(exemplar_refs) % 2 or any(ref >= len(symbols) for ref in exemplar_refs):
            found.append(f"{where}: exemplar labels_refs odd or out of range")
        if not exemplar.timestamp:
            found.append(f"{where}: exemplar without a timestamp")
    return found


def violations(request: v2.Request) -> list[str]:
    """Each MUST of the 2.0 specification this request breaks, in words."""
    symbols = list(request.symbols)
    found: list[str] = []
    if not symbols or symbols[0] != "":
        found.append("symbols[0] is not the empty string")
    if len(set(symbols)) != len(symbols):
        found.append("symbols are not deduplicated")
    for i, ts in enumerate(request.timeseries):
        found += _series_violations(symbols, ts, f"series {i}")
    return found


Point = tuple[tuple[tuple[str, str], ...], int, str]
"""A series' labels, a timestamp, and the value (a float's repr, or a histogram's count)."""


@dataclass
class Arrival:
    """One request: which message its Content-Type named, what it decoded to, our answer."""

    headers: CaseInsensitiveDict[str]
    message: str
    v1: remote_pb2.WriteRequest | None = None
    v2: v2.Request | None = None
    violations: list[str] = field(default_factory=list)
    status: int = 0
    wrote: bool = False  # what a receiver of this kind keeps of it

    def points(self) -> Iterator[Point]:
        """Every sample and histogram the request carried, in either message."""
        if self.v2 is not None:
            symbols = list(self.v2.symbols)
            for ts in self.v2.timeseries:
                refs = list(ts.labels_refs)
                labels = tuple(
                    sorted((symbols[refs[i]], symbols[refs[i + 1]]) for i in range(0, len(refs), 2))
                )
                yield from ((labels, s.timestamp, repr(s.value)) for s in ts.samples)
                yield from ((labels, h.timestamp, f"h{h.count_int}") for h in ts.histograms)
        if self.v1 is not None:
            for ts1 in self.v1.timeseries:
                labels = tuple(sorted((label.name, label.value) for label in ts1.labels))
                yield from ((labels, s.timestamp, repr(s.value)) for s in ts1.samples)
                yield from ((labels, h.timestamp, f"h{h.count_int}") for h in ts1.histograms)


def _decode(body: bytes, message: type[remote_pb2.WriteRequest] | type[v2.Request]) -> object:
    decoded = message()
    decoded.ParseFromString(bytes(cramjam.snappy.decompress_raw(body)))
    return decoded


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the arrivals are the log."""

    def do_POST(self) -> None:
        length = min(int(self.headers.get("Content-Length", "0")), _MAX_BODY)
        body = self.rfile.read(length)
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(self.headers.items())
        status, answer, text = self.server.owner._answer(headers, body)
        payload = text.encode()
        self.send_response(status)
        for name, value in answer.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: ReceiverV2) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)


class ReceiverV2:
    """On 127.0.0.1 with an ephemeral port, served from a thread; see the module docstring."""

    def __init__(self, mode: str = "v2", *, v1_status: int = 204) -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r}: one of {MODES}")
        self.mode = mode
        self.v1_status = v1_status
        self._lock = threading.Condition()
        self._arrivals: list[Arrival] = []
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="test-receiver-v2", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/api/v1/write"

    def _answer(
        self, headers: CaseInsensitiveDict[str], body: bytes
    ) -> tuple[int, dict[str, str], str]:
        is_v2 = headers.get("Content-Type", "").replace(" ", "") == _V2_TYPE
        arrival = Arrival(headers, V2_MESSAGE if is_v2 else V1_MESSAGE)
        status, answer, text = self.v1_status, {}, ""
        try:
            if not is_v2:
                arrival.v1 = _decode(body, remote_pb2.WriteRequest)  # type: ignore[assignment]
                arrival.wrote = 200 <= status < 300
            else:  # decoded whatever the mode, so that what was sent can be compared
                arrival.v2 = _decode(body, v2.Request)  # type: ignore[assignment]
                status, answer, text = self._v2_answer(arrival, headers)
        except Exception as error:  # an undecodable body is an answer, not a crash
            status, text = 400, f"cannot decode: {error}"
        arrival.status = status
        with self._lock:
            self._arrivals.append(arrival)
            self._lock.notify_all()
        return status, answer, text

    def _v2_answer(
        self, arrival: Arrival, headers: CaseInsensitiveDict[str]
    ) -> tuple[int, dict[str, str], str]:
        assert arrival.v2 is not None
        if self.mode == "415":
            return 415, {}, f"unsupported content type {headers.get('Content-Type')}"
        if self.mode == "400":
            return 400, {}, "proto: cannot parse invalid wire-format data"
        if self.mode == "no-written":
            return 204, {}, ""
        arrival.violations = violations(arrival.v2)
        if arrival.violations:
            return 400, {}, "; ".join(arrival.violations)
        arrival.wrote = True
        counts = [
            sum(len(ts.samples) for ts in arrival.v2.timeseries),
            sum(len(ts.histograms) for ts in arrival.v2.timeseries),
            sum(len(ts.exemplars) for ts in arrival.v2.timeseries),
        ]
        if self.mode == "fewer":
            counts[0 if counts[0] else 1] -= 1
        names = ("Samples", "Histograms", "Exemplars")
        headers = {
            f"X-Prometheus-Remote-Write-{name}-Written": str(max(count, 0))
            for name, count in zip(names, counts, strict=True)
        }
        return 204, headers, ""

    @property
    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self._arrivals)

    @property
    def violations(self) -> list[str]:
        """Every MUST broken by any 2.0 request so far."""
        return [found for arrival in self.arrivals for found in arrival.violations]

    def written(self) -> list[Point]:
        """The points of every request answered 2xx that a receiver of this kind writes (a
        2.0 request answered without Written headers writes nothing)."""
        return [point for arrival in self.arrivals if arrival.wrote for point in arrival.points()]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Arrival]:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._arrivals) >= count, timeout):
                raise AssertionError(f"expected {count} requests, got {len(self._arrivals)}")
        return self.arrivals

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)

    def __enter__(self) -> ReceiverV2:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
