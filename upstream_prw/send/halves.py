"""A request in two halves, and its first series' name, whichever message it holds.

For 1.0 the byte-level split of `encode.split` does it. A 2.0 request is cut with the
generated classes (a rare path: a backend refusing one series of a request): both halves
keep the whole symbols table, which every reference of either half still points into.
"""

from __future__ import annotations

import cramjam

from upstream_prw.config.translation import V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.split import series_name, split_request
from upstream_prw.proto import remote_v2_pb2

__all__ = ["first_series_name", "split_in_two"]


def _decode(request: EncodedRequest) -> remote_v2_pb2.Request:
    """The request decoded; an empty one if it cannot be (then it is not split, and named
    as having no series, rather than raising inside the sender)."""
    decoded = remote_v2_pb2.Request()
    try:
        decoded.ParseFromString(bytes(cramjam.snappy.decompress_raw(request.payload)))
    except Exception:
        decoded.Clear()
    return decoded


def _half(
    request: EncodedRequest, symbols: list[str], series: list[remote_v2_pb2.TimeSeries]
) -> EncodedRequest:
    raw = remote_v2_pb2.Request(symbols=symbols, timeseries=series).SerializeToString()
    return EncodedRequest(
        shard=request.shard,
        payload=bytes(cramjam.snappy.compress_raw(raw)),
        raw_size=len(raw),
        series=len(series),
        samples=sum(len(ts.samples) for ts in series),
        message=V2_MESSAGE,
        histograms=sum(len(ts.histograms) for ts in series),
        exemplars=sum(len(ts.exemplars) for ts in series),
    )


def split_in_two(request: EncodedRequest) -> tuple[EncodedRequest, EncodedRequest] | None:
    """The request's series in two requests, in order; None when it holds a single one."""
    if request.message != V2_MESSAGE:
        return split_request(request)
    decoded = _decode(request)
    series = list(decoded.timeseries)
    if len(series) < 2:
        return None
    symbols = list(decoded.symbols)
    half = len(series) // 2
    return _half(request, symbols, series[:half]), _half(request, symbols, series[half:])


def first_series_name(request: EncodedRequest) -> str:
    """The first series' labels as `name{label="value",...}`, for a message."""
    if request.message != V2_MESSAGE:
        return series_name(request)
    decoded = _decode(request)
    if not decoded.timeseries:
        return "(no series)"
    symbols, refs = decoded.symbols, decoded.timeseries[0].labels_refs
    labels: dict[str, str] = {}
    for i in range(0, len(refs) - 1, 2):
        if max(refs[i], refs[i + 1]) < len(symbols):
            labels[symbols[refs[i]]] = symbols[refs[i + 1]]
    name = labels.pop("__name__", "")
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"
