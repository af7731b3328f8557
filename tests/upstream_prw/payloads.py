"""Hand-built remote-write requests for tests that must not depend on the translator."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import cramjam

from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.proto import remote_pb2

__all__ = ["Series", "encoded_request", "series_shard", "write_request"]

Series = tuple[Mapping[str, str], Sequence[tuple[int, float]]]
"""Labels (with `__name__`) and (millisecond timestamp, value) samples."""


def series_shard(labels: Mapping[str, str]) -> int:
    """A stable hash of a label set, so one series always lands on the same shard."""
    key = "\xff".join(f"{name}\xfe{labels[name]}" for name in sorted(labels))
    return zlib.crc32(key.encode("utf-8"))


def write_request(series: Sequence[Series]) -> remote_pb2.WriteRequest:
    message = remote_pb2.WriteRequest()
    for labels, samples in series:
        ts = message.timeseries.add()
        for name in sorted(labels):
            ts.labels.add(name=name, value=labels[name])
        for timestamp, value in samples:
            ts.samples.add(timestamp=timestamp, value=value)
    return message


def encoded_request(series: Sequence[Series], shard: int | None = None) -> EncodedRequest:
    """Serialize and snappy-compress (block format); the shard defaults to the first series'."""
    raw = write_request(series).SerializeToString()
    return EncodedRequest(
        shard=series_shard(series[0][0]) if shard is None else shard,
        payload=bytes(cramjam.snappy.compress_raw(raw)),
        raw_size=len(raw),
        series=len(series),
        samples=sum(len(samples) for _, samples in series),
    )
