"""A Remote Write 2.0 request as the 1.0 requests that carry the same data, for a receiver
that turned 2.0 down (rare: once, then the exporter encodes 1.0 until it tries 2.0 again).

Labels, samples, histograms and exemplars carry over; start timestamps and per-series
metadata have no place in a 1.0 series and are left out. The generated classes do the
work: this path is not hot, and they are the specification.
"""

from __future__ import annotations

import cramjam

from upstream_prw.config.translation import V1_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.wire import varint
from upstream_prw.proto import remote_pb2, remote_v2_pb2

__all__ = ["to_v1"]

_TIMESERIES = b"\x0a"  # WriteRequest.timeseries, field 1


def _labels(symbols: list[str], refs: list[int]) -> list[remote_pb2.Label]:
    return [
        remote_pb2.Label(name=symbols[refs[i]], value=symbols[refs[i + 1]])
        for i in range(0, len(refs) - 1, 2)
    ]


def _series(symbols: list[str], v2: remote_v2_pb2.TimeSeries) -> remote_pb2.TimeSeries:
    out = remote_pb2.TimeSeries(labels=_labels(symbols, list(v2.labels_refs)))
    for sample in v2.samples:
        out.samples.add(value=sample.value, timestamp=sample.timestamp)
    for histogram in v2.histograms:
        copy = remote_pb2.Histogram()
        wire = remote_v2_pb2.Histogram()
        wire.CopyFrom(histogram)
        wire.start_timestamp = 0  # no such field in 1.0
        copy.MergeFromString(wire.SerializeToString())
        out.histograms.append(copy)
    for exemplar in v2.exemplars:
        out.exemplars.add(
            labels=_labels(symbols, list(exemplar.labels_refs)),
            value=exemplar.value,
            timestamp=exemplar.timestamp,
        )
    return out


def to_v1(request: EncodedRequest, limit: int) -> list[EncodedRequest]:
    """The 1.0 requests with the same series, each below `limit` raw bytes (a series alone
    may be over it), in the order of the series (a 1.0 request is returned as it is)."""
    if request.message == V1_MESSAGE:
        return [request]
    raw = bytes(cramjam.snappy.decompress_raw(request.payload))
    v2 = remote_v2_pb2.Request.FromString(raw)
    symbols = list(v2.symbols)
    out: list[EncodedRequest] = []
    batch: list[bytes] = []
    entries = size = 0
    for ts in v2.timeseries:
        series = _series(symbols, ts)
        entry = _TIMESERIES + varint(series.ByteSize()) + series.SerializeToString()
        if batch and size + len(entry) > limit:
            out.append(_request(request.shard, batch, entries))
            batch, entries, size = [], 0, 0
        batch.append(entry)
        size += len(entry)
        entries += len(series.samples) + len(series.histograms)
    if batch:
        out.append(_request(request.shard, batch, entries))
    return out


def _request(shard: int, entries: list[bytes], samples: int) -> EncodedRequest:
    body = b"".join(entries)
    return EncodedRequest(
        shard=shard,
        payload=bytes(cramjam.snappy.compress_raw(body)),
        raw_size=len(body),
        series=len(entries),
        samples=samples,
    )
