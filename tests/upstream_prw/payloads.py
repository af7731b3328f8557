"""Hand-built remote-write requests for tests that must not depend on the translator."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import cramjam

from upstream_prw.config.translation import V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.proto import remote_pb2, remote_v2_pb2

__all__ = ["Series", "encoded_request", "encoded_v2_request", "series_shard", "write_request"]

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


def encoded_v2_request(
    series: Sequence[Series],
    *,
    counter: bool = False,
    histogram: Series | None = None,
    exemplar: bool = False,
    shard: int = 0,
) -> EncodedRequest:
    """A 2.0 request as the specification wants it: gauges (or counters, started half a second
    before their first sample), plus one native histogram series with the `histogram`'s
    labels and (timestamp, count) points; `exemplar` puts one on the first series."""
    symbols = [""]

    def ref(text: str) -> int:
        if text not in symbols:
            symbols.append(text)
        return symbols.index(text)

    message = remote_v2_pb2.Request()
    kind = (
        remote_v2_pb2.Metadata.METRIC_TYPE_COUNTER
        if counter
        else remote_v2_pb2.Metadata.METRIC_TYPE_GAUGE
    )
    for labels, samples in series:
        ts = message.timeseries.add()
        ts.labels_refs.extend(r for name in sorted(labels) for r in (ref(name), ref(labels[name])))
        ts.metadata.type = kind
        ts.metadata.help_ref = ref(f"help of {labels['__name__']}")
        start = max(1, samples[0][0] - 500) if counter else 0
        for timestamp, value in samples:
            ts.samples.add(timestamp=timestamp, value=value, start_timestamp=start)
        if exemplar and len(message.timeseries) == 1:
            ts.exemplars.add(
                labels_refs=[ref("trace_id"), ref("abc")], value=1.0, timestamp=samples[0][0]
            )
    if histogram is not None:
        labels, points = histogram
        ts = message.timeseries.add()
        ts.labels_refs.extend(r for name in sorted(labels) for r in (ref(name), ref(labels[name])))
        ts.metadata.type = remote_v2_pb2.Metadata.METRIC_TYPE_HISTOGRAM
        for timestamp, count in points:
            h = ts.histograms.add(count_int=int(count), sum=count, schema=0, timestamp=timestamp)
            h.start_timestamp = max(1, points[0][0] - 500)
            h.zero_count_int = int(count)
    message.symbols.extend(symbols)
    raw = message.SerializeToString()
    return EncodedRequest(
        shard=shard,
        payload=bytes(cramjam.snappy.compress_raw(raw)),
        raw_size=len(raw),
        series=len(message.timeseries),
        samples=sum(len(samples) for _, samples in series),
        message=V2_MESSAGE,
        histograms=0 if histogram is None else len(histogram[1]),
        exemplars=1 if exemplar and series else 0,
    )
