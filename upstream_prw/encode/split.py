"""Splitting an encoded request in two, for a backend that keeps refusing one request while
it takes the others (a single bad series can do that: Prometheus answers 500 for a native
histogram with a negative bucket count).

Pure byte work on the uncompressed WriteRequest: its `timeseries` entries (field 1) are
split in two halves, in order, so that the series of a shard still arrive in order.
"""

from __future__ import annotations

from collections.abc import Iterator

import cramjam

from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.wire import read_varint

__all__ = ["series_entries", "series_name", "split_request"]

_TIMESERIES = 0x0A  # WriteRequest.timeseries, length-delimited
_LABELS = 0x0A  # TimeSeries.labels
_SAMPLES = 0x12  # TimeSeries.samples
_HISTOGRAMS = 0x22  # TimeSeries.histograms


def _fields(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """(tag, the field's whole bytes, its payload) for each length-delimited field; other
    wire types are skipped over (a WriteRequest's top level has none)."""
    pos = 0
    while pos < len(data):
        start = pos
        tag, pos = read_varint(data, pos)
        wire_type = tag & 7
        if wire_type == 2:
            length, pos = read_varint(data, pos)
            yield tag, data[start : pos + length], data[pos : pos + length]
            pos += length
        elif wire_type == 0:
            _, pos = read_varint(data, pos)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        else:
            raise ValueError(f"unexpected protobuf wire type {wire_type}")


def series_entries(request: EncodedRequest) -> list[bytes]:
    """The request's `timeseries` entries, each with its tag and length."""
    raw = bytes(cramjam.snappy.decompress_raw(request.payload))
    return [whole for tag, whole, _ in _fields(raw) if tag == _TIMESERIES]


def _samples(entry: bytes) -> int:
    """Samples and histograms in one entry (each is one sample to the counts)."""
    _, _, body = next(_fields(entry))
    return sum(1 for tag, _, _ in _fields(body) if tag in (_SAMPLES, _HISTOGRAMS))


def _request(shard: int, entries: list[bytes]) -> EncodedRequest:
    raw = b"".join(entries)
    payload = bytes(cramjam.snappy.compress_raw(raw))
    samples = sum(map(_samples, entries))
    return EncodedRequest(shard, payload, len(raw), len(entries), samples)


def split_request(request: EncodedRequest) -> tuple[EncodedRequest, EncodedRequest] | None:
    """The request's series in two requests, in order; None when it holds a single one."""
    entries = series_entries(request)
    if len(entries) < 2:
        return None
    half = len(entries) // 2
    return _request(request.shard, entries[:half]), _request(request.shard, entries[half:])


def series_name(request: EncodedRequest) -> str:
    """The first series' labels as `name{label="value",...}`, for a message."""
    entries = series_entries(request)
    if not entries:
        return "(no series)"
    _, _, body = next(_fields(entries[0]))
    labels: dict[str, str] = {}
    for tag, _, label in _fields(body):
        if tag == _LABELS:
            parts = [payload.decode("utf-8", "replace") for _, _, payload in _fields(label)]
            if len(parts) == 2:
                labels[parts[0]] = parts[1]
    name = labels.pop("__name__", "")
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"
