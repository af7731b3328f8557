"""What the receiver makes of a request: decoded series, the verdict, the latest per series.

Pure data and decoding (snappy, `WriteRequest`), shared by the receiver, the commands and tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import cramjam

from upstream_prw.proto import remote_pb2

__all__ = [
    "ReceivedSeries",
    "ReceivedWrite",
    "Reply",
    "SeriesState",
    "decode_write",
    "series_order",
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


def decode_write(body: bytes) -> tuple[ReceivedSeries, ...]:
    """The series of a snappy-compressed `WriteRequest`; raises on anything else."""
    message = remote_pb2.WriteRequest.FromString(bytes(cramjam.snappy.decompress_raw(body)))
    found = []
    for ts in message.timeseries:
        histograms = tuple(
            (
                h.timestamp,
                float(h.count_float if h.WhichOneof("count") == "count_float" else h.count_int),
                h.sum,
            )
            for h in ts.histograms
        )
        found.append(
            ReceivedSeries(
                labels=tuple((label.name, label.value) for label in ts.labels),
                samples=tuple((s.timestamp, s.value) for s in ts.samples),
                histograms=histograms,
            )
        )
    return tuple(found)


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
