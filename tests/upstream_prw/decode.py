"""Decoding what the encoder produced, with the generated classes only."""

from __future__ import annotations

import cramjam

from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.proto import remote_pb2


def decode(request: EncodedRequest) -> remote_pb2.WriteRequest:
    raw = bytes(cramjam.snappy.decompress_raw(request.payload))
    assert len(raw) == request.raw_size
    return remote_pb2.WriteRequest.FromString(raw)


def merged(
    requests: list[EncodedRequest],
) -> dict[tuple[tuple[str, str], ...], remote_pb2.TimeSeries]:
    """Series by label set across all requests, as a backend would store them."""
    out: dict[tuple[tuple[str, str], ...], remote_pb2.TimeSeries] = {}
    for request in requests:
        for ts in decode(request).timeseries:
            key = tuple((label.name, label.value) for label in ts.labels)
            if key in out:
                out[key].MergeFrom(ts)
                del out[key].labels[len(key) :]
            else:
                out[key] = ts
    return out


def values(requests: list[EncodedRequest]) -> dict[str, float]:
    """`name{a="b",...}` → last sample value; handy for exact assertions."""
    result = {}
    for labels, ts in merged(requests).items():
        d = dict(labels)
        name = d.pop("__name__")
        text = name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(d.items())) + "}"
        result[text] = ts.samples[-1].value if ts.samples else float("nan")
    return result
