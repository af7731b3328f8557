"""A 2.0 request refused for one of its series is split like a 1.0 one, as 2.0 halves."""

from __future__ import annotations

import cramjam

from tests.upstream_prw.payloads import encoded_request, encoded_v2_request
from tests.upstream_prw.receiver_v2 import violations
from upstream_prw.config.translation import V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.proto import remote_v2_pb2 as v2
from upstream_prw.send.halves import first_series_name, split_in_two

_SERIES = [({"__name__": "up", "job": f"j{i}"}, [(1_000, float(i))]) for i in range(5)]


def _decoded(request: EncodedRequest) -> v2.Request:
    return v2.Request.FromString(bytes(cramjam.snappy.decompress_raw(request.payload)))


def test_2_0_halves_keep_the_series_in_order_and_stay_valid() -> None:
    halves = split_in_two(encoded_v2_request(_SERIES, exemplar=True))
    assert halves is not None
    first, second = halves
    assert (first.message, second.message) == (V2_MESSAGE, V2_MESSAGE)
    assert (first.series, second.series, first.samples, second.samples) == (2, 3, 2, 3)
    assert (first.exemplars, second.exemplars) == (1, 0)
    values = [s.value for h in halves for ts in _decoded(h).timeseries for s in ts.samples]
    assert values == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert violations(_decoded(first)) == violations(_decoded(second)) == []
    assert first_series_name(second) == 'up{job="j2"}'


def test_one_series_is_not_split_and_1_0_still_is() -> None:
    assert split_in_two(encoded_v2_request(_SERIES[:1])) is None
    assert split_in_two(encoded_request(_SERIES)) is not None
    assert first_series_name(encoded_request(_SERIES)) == 'up{job="j0"}'


def test_an_unreadable_2_0_request_is_neither_split_nor_named() -> None:
    broken = EncodedRequest(0, b"\xff\xff\xff", 3, 2, 2, V2_MESSAGE)
    assert split_in_two(broken) is None
    assert first_series_name(broken) == "(no series)"
