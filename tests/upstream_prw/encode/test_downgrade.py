"""A 2.0 request turned back into 1.0 carries the same series, below the size limit."""

from __future__ import annotations

import cramjam

from tests.upstream_prw.decode import decode
from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.downgrade import to_v1
from upstream_prw.proto import remote_v2_pb2 as v2


def _v2_request(n: int) -> EncodedRequest:
    symbols = ["", "__name__", "up", "job", "api", "trace_id", "abc", "help", "seconds"]
    request = v2.Request(symbols=[*symbols, *(f"i-{i}" for i in range(n))])
    for i in range(n):
        ts = request.timeseries.add(labels_refs=[1, 2, 3, 4 if i % 2 else len(symbols) + i])
        if i % 3:
            ts.samples.add(value=float(i), timestamp=1000 + i, start_timestamp=500)
        else:
            h = ts.histograms.add(count_int=3, sum=1.5, schema=0, timestamp=1000 + i)
            h.start_timestamp = 500
            h.positive_spans.add(offset=1, length=1)
            h.positive_deltas.append(3)
        ts.exemplars.add(labels_refs=[5, 6], value=2.0, timestamp=999)
        ts.metadata.type = v2.Metadata.METRIC_TYPE_COUNTER
        ts.metadata.help_ref, ts.metadata.unit_ref = 7, 8
    raw = request.SerializeToString()
    return EncodedRequest(3, bytes(cramjam.snappy.compress_raw(raw)), len(raw), n, n, V2_MESSAGE)


def test_the_same_series_in_1_0_without_start_timestamps_or_metadata() -> None:
    (v1,) = to_v1(_v2_request(6), 3_000_000)
    assert (v1.message, v1.shard, v1.series, v1.samples) == (V1_MESSAGE, 3, 6, 6)
    decoded = decode(v1)
    first, second = decoded.timeseries[0], decoded.timeseries[1]
    assert [(lab.name, lab.value) for lab in second.labels] == [("__name__", "up"), ("job", "api")]
    assert [(s.value, s.timestamp) for s in second.samples] == [(1.0, 1001)]
    (h,) = first.histograms
    assert (h.count_int, h.sum, list(h.positive_deltas), h.timestamp) == (3, 1.5, [3], 1000)
    assert b"\x88\x01" not in h.SerializeToString()  # no field 17: 1.0 has no start timestamp
    assert [(lab.name, lab.value) for lab in first.exemplars[0].labels] == [("trace_id", "abc")]
    assert not decoded.metadata


def test_a_request_too_large_as_1_0_is_cut_below_the_limit() -> None:
    requests = to_v1(_v2_request(300), 2_000)
    assert len(requests) > 1
    assert all(r.raw_size <= 2_000 for r in requests)
    assert sum(r.series for r in requests) == 300
    values = [s.value for r in requests for ts in decode(r).timeseries for s in ts.samples]
    assert values == [float(i) for i in range(300) if i % 3]  # in order


def test_a_1_0_request_is_returned_as_it_is() -> None:
    request = EncodedRequest(0, b"", 0, 0, 0)
    assert to_v1(request, 10) == [request]
