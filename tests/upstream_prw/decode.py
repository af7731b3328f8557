"""Decoding what the encoder produced, with the generated classes only."""

from __future__ import annotations

import cramjam

from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.proto import remote_pb2
from upstream_prw.translate.model import is_stale


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


def series_text(labels: tuple[tuple[str, str], ...]) -> str:
    """`name{a="b",...}`: a series as Prometheus prints it, labels sorted."""
    d = dict(labels)
    name = d.pop("__name__")
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(d.items())) + "}"


def values(requests: list[EncodedRequest]) -> dict[str, float]:
    """`name{a="b",...}` → last sample value; handy for exact assertions."""
    result = {}
    for labels, ts in merged(requests).items():
        result[series_text(labels)] = ts.samples[-1].value if ts.samples else float("nan")
    return result


STALE = "stale"
"""How `samples` shows Prometheus' stale marker (a NaN that compares unequal to itself)."""


def samples(requests: list[EncodedRequest]) -> dict[str, list[tuple[int, float | str]]]:
    """`name{a="b",...}` → its (timestamp, value) samples in order, the stale marker shown
    as `STALE`: exact assertions on everything sent, stale markers included."""
    result: dict[str, list[tuple[int, float | str]]] = {}
    for labels, ts in merged(requests).items():
        result[series_text(labels)] = [
            (s.timestamp, STALE if is_stale(s.value) else s.value) for s in ts.samples
        ]
    return result
