"""Hand-written protobuf encoding of remote-write messages (pure).

Field numbers are those of `proto/remote.proto`; tests decode every byte produced here with
the generated classes. Proto3 decoders accept explicit default values, so fields are
written unconditionally where that keeps the hot path simple.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from upstream_prw.translate.model import ExemplarOut
from upstream_prw.translate.native import NativeHistogram

__all__ = [
    "exemplar_bytes",
    "histogram_bytes",
    "label_bytes",
    "label_count",
    "labels_bytes",
    "length_prefixed",
    "metadata_bytes",
    "pack_double",
    "read_varint",
    "sample_bytes",
    "sample_tail",
    "timeseries_bytes",
    "varint",
]

pack_double = struct.Struct("<d").pack


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL_VARINTS = tuple(_varint(i) for i in range(16384))  # lengths: most fit in two bytes


def varint(n: int) -> bytes:
    """Base-128 varint; negative int64 values take ten bytes (two's complement)."""
    return _SMALL_VARINTS[n] if 0 <= n < 16384 else _varint(n)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at `pos`, and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def sample_tail(timestamp_ms: int, start_ms: int = 0) -> tuple[bytes, int]:
    """A sample's timestamp field, and the length of a sample that ends with it (its
    double's tag and value come first): what every series of one timestamp shares.

    `start_ms`, when set, follows as field 3: Remote Write 2.0's start timestamp, which the
    2.0 request takes over as it is (a 1.0 request never carries it)."""
    tail = b"\x10" + varint(timestamp_ms)
    if start_ms:
        tail += b"\x18" + varint(start_ms)
    return tail, 9 + len(tail)


def length_prefixed(tag: bytes, payload: bytes) -> bytes:
    n = len(payload)
    return tag + (_SMALL_VARINTS[n] if n < 16384 else varint(n)) + payload


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def label_bytes(name: str, value: str) -> bytes:
    """One `TimeSeries.labels` entry (field 1) holding a Label{name, value}."""
    body = length_prefixed(b"\x0a", name.encode()) + length_prefixed(b"\x12", value.encode())
    return length_prefixed(b"\x0a", body)


def labels_bytes(labels: Iterable[tuple[str, str]]) -> bytes:
    return b"".join([label_bytes(n, v) for n, v in labels])


def label_count(encoded: bytes) -> int:
    """How many `label_bytes` entries `encoded` holds (read from their length prefixes)."""
    count = index = 0
    end = len(encoded)
    while index < end:
        index += 1  # the field tag
        length = shift = 0
        while True:
            byte = encoded[index]
            index += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        index += length
        count += 1
    return count


def sample_bytes(value: float, timestamp_ms: int, start_ms: int = 0) -> bytes:
    """One `TimeSeries.samples` entry (field 2); `start_ms` as in `sample_tail`."""
    body = b"\x09" + pack_double(value) + sample_tail(timestamp_ms, start_ms)[0]
    return length_prefixed(b"\x12", body)


def exemplar_bytes(exemplar: ExemplarOut) -> bytes:
    """One `TimeSeries.exemplars` entry (field 3)."""
    body = (
        labels_bytes(exemplar.labels)
        + b"\x11"
        + pack_double(exemplar.value)
        + b"\x18"
        + varint(exemplar.timestamp_ms)
    )
    return length_prefixed(b"\x1a", body)


def _spans(tag: bytes, spans: Iterable[tuple[int, int]]) -> bytes:
    return b"".join(
        length_prefixed(tag, b"\x08" + varint(_zigzag(offset)) + b"\x10" + varint(length))
        for offset, length in spans
    )


def _packed_sint64(tag: bytes, values: tuple[int, ...]) -> bytes:
    if not values:
        return b""
    return length_prefixed(tag, b"".join(varint(_zigzag(v)) for v in values))


def histogram_bytes(h: NativeHistogram, start_ms: int = 0) -> bytes:
    """One `TimeSeries.histograms` entry (field 4) with integer counts; `start_ms`, when
    set, as Remote Write 2.0's start timestamp (field 17)."""
    body = b"".join(
        (
            b"\x08" + varint(h.count),
            b"\x19" + pack_double(h.sum),
            b"\x20" + varint(_zigzag(h.schema)),
            b"\x29" + pack_double(h.zero_threshold),
            b"\x30" + varint(h.zero_count),
            _spans(b"\x42", h.negative_spans),
            _packed_sint64(b"\x4a", h.negative_deltas),
            _spans(b"\x5a", h.positive_spans),
            _packed_sint64(b"\x62", h.positive_deltas),
            b"\x70" + varint(h.reset_hint),
            b"\x78" + varint(h.timestamp_ms),
            _packed_doubles(b"\x82\x01", h.custom_values),
            b"\x88\x01" + varint(start_ms) if start_ms else b"",
        )
    )
    return length_prefixed(b"\x22", body)


def _packed_doubles(tag: bytes, values: tuple[float, ...]) -> bytes:
    if not values:
        return b""
    return length_prefixed(tag, b"".join(map(pack_double, values)))


def timeseries_bytes(
    encoded_labels: bytes,
    samples: Iterable[tuple[float, int]] = (),
    histograms: Iterable[NativeHistogram] = (),
    exemplars: Iterable[ExemplarOut] = (),
    start_ms: int = 0,
) -> bytes:
    """One `WriteRequest.timeseries` entry (field 1): the general, unhurried form;
    `start_ms` goes on every sample and histogram (see `sample_tail`)."""
    body = b"".join(
        (
            encoded_labels,
            *(sample_bytes(v, t, start_ms) for v, t in samples),
            *(exemplar_bytes(e) for e in exemplars),
            *(histogram_bytes(h, start_ms) for h in histograms),
        )
    )
    return length_prefixed(b"\x0a", body)


def metadata_bytes(metric_type: int, family: str, help_text: str, unit: str) -> bytes:
    """One `WriteRequest.metadata` entry (field 3)."""
    body = b"\x08" + varint(metric_type) + length_prefixed(b"\x12", family.encode())
    if help_text:
        body += length_prefixed(b"\x22", help_text.encode())
    if unit:
        body += length_prefixed(b"\x2a", unit.encode())
    return length_prefixed(b"\x1a", body)
