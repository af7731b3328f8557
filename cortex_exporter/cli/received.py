"""What the receiver makes of a request: decoded series, the verdict, the latest per series.

Pure data and decoding (snappy, `WriteRequest` and 2.0's `Request`), shared by the receiver,
the commands and tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cramjam

from upstream_prw.config.translation import V2_MESSAGE
from upstream_prw.proto import remote_pb2, remote_v2_pb2

__all__ = [
    "ReceivedSeries",
    "ReceivedWrite",
    "Reply",
    "SeriesState",
    "decode_write",
    "series_order",
    "written_headers",
]


@dataclass(frozen=True, slots=True)
class Reply:
    """How to answer one request."""

    status: int = 204
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReceivedSeries:
    """One TimeSeries: labels in wire order, float samples, native histograms (count, sum)."""

    labels: tuple[tuple[str, str], ...]
    samples: tuple[tuple[int, float], ...]
    histograms: tuple[tuple[int, float, float], ...] = ()

    @property
    def name(self) -> str:
        return dict(self.labels).get("__name__", "")


@dataclass(frozen=True, slots=True)
class ReceivedWrite:
    """One request as it arrived and what we made of it.

    `signature_ok` is None when the signature was not checked (no secret to check against).
    """

    number: int
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    body: bytes = field(repr=False)
    series: tuple[ReceivedSeries, ...]
    signature: str
    signature_ok: bool | None
    status: int
    error: str = ""

    @property
    def body_size(self) -> int:
        return len(self.body)

    @property
    def samples(self) -> int:
        return sum(len(s.samples) + len(s.histograms) for s in self.series)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for n, v in self.headers if n.lower() == lowered), None)


@dataclass(slots=True)
class SeriesState:
    """The latest of one series across requests; stale markers are noted, not kept as values."""

    name: str
    labels: dict[str, str]
    value: float | None = None
    histogram: tuple[float, float] | None = None  # (count, sum)
    stale: bool = False
    samples: int = 0


def decode_write(body: bytes, content_type: str = "") -> tuple[ReceivedSeries, ...]:
    """The series of a snappy-compressed `WriteRequest`, or of a 2.0 `Request` when the
    Content-Type names it; raises on anything else."""
    raw = bytes(cramjam.snappy.decompress_raw(body))
    if V2_MESSAGE in content_type:
        return _decode_v2(raw)
    message = remote_pb2.WriteRequest.FromString(raw)
    return tuple(
        ReceivedSeries(
            labels=tuple((label.name, label.value) for label in ts.labels),
            samples=tuple((s.timestamp, s.value) for s in ts.samples),
            histograms=tuple(_histogram(h) for h in ts.histograms),
        )
        for ts in message.timeseries
    )


def _histogram(h: Any) -> tuple[int, float, float]:
    count = h.count_float if h.WhichOneof("count") == "count_float" else h.count_int
    return h.timestamp, float(count), h.sum


def _decode_v2(raw: bytes) -> tuple[ReceivedSeries, ...]:
    message = remote_v2_pb2.Request.FromString(raw)
    symbols = list(message.symbols)
    found = []
    for ts in message.timeseries:
        refs = list(ts.labels_refs)
        found.append(
            ReceivedSeries(
                labels=tuple(
                    (symbols[refs[i]], symbols[refs[i + 1]]) for i in range(0, len(refs) - 1, 2)
                ),
                samples=tuple((s.timestamp, s.value) for s in ts.samples),
                histograms=tuple(_histogram(h) for h in ts.histograms),
            )
        )
    return tuple(found)


def written_headers(series: tuple[ReceivedSeries, ...]) -> dict[str, str]:
    """What a 2.0 receiver says it wrote: everything it decoded."""
    samples = sum(len(ts.samples) for ts in series)
    histograms = sum(len(ts.histograms) for ts in series)
    return {
        "X-Prometheus-Remote-Write-Samples-Written": str(samples),
        "X-Prometheus-Remote-Write-Histograms-Written": str(histograms),
        "X-Prometheus-Remote-Write-Exemplars-Written": "0",
    }


def series_order(state: SeriesState) -> tuple[str, list[tuple[str, float, str]]]:
    """By name, then labels; bucket bounds (`le`) and quantiles numerically."""
    labels = []
    for name, value in sorted(state.labels.items()):
        number = 0.0
        if name in ("le", "quantile"):
            try:
                number = float(value)
            except ValueError:
                number = math.inf
        labels.append((name, number, value))
    return state.name, labels
