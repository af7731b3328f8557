"""The 2.0 test receiver's checks catch each MUST they are meant to, and pass a good request."""

from __future__ import annotations

import math
import struct

import cramjam
import pytest

from tests.upstream_prw.payloads import encoded_v2_request
from tests.upstream_prw.receiver_v2 import STALE_NAN_BITS, is_stale, violations
from upstream_prw.proto import remote_v2_pb2 as v2

_GOOD = encoded_v2_request(
    [({"__name__": "a", "x": "1"}, [(1_000, 1.0), (2_000, 2.0)])],
    counter=True,
    histogram=({"__name__": "h"}, [(1_000, 1.0)]),
    exemplar=True,
)
_STALE = struct.unpack("<d", struct.pack("<Q", STALE_NAN_BITS))[0]


def _good() -> v2.Request:
    return v2.Request.FromString(bytes(cramjam.snappy.decompress_raw(_GOOD.payload)))


def test_a_request_built_by_the_rules_passes() -> None:
    assert violations(_good()) == []


def _symbols_first_not_empty(r: v2.Request) -> None:
    r.symbols[0] = "x"


def _symbols_repeated(r: v2.Request) -> None:
    r.symbols.append("a")


def _ref_out_of_range(r: v2.Request) -> None:
    r.timeseries[0].labels_refs[1] = 999


def _odd_refs(r: v2.Request) -> None:
    del r.timeseries[0].labels_refs[-1]


def _unsorted(r: v2.Request) -> None:
    refs = r.timeseries[0].labels_refs
    refs[0], refs[1], refs[2], refs[3] = refs[2], refs[3], refs[0], refs[1]


def _no_name(r: v2.Request) -> None:
    del r.timeseries[0].labels_refs[0:2]


def _both(r: v2.Request) -> None:
    r.timeseries[1].samples.add(value=1.0, timestamp=5_000, start_timestamp=1)


def _neither(r: v2.Request) -> None:
    del r.timeseries[1].histograms[:]


def _out_of_order(r: v2.Request) -> None:
    r.timeseries[0].samples[1].timestamp = 500


def _no_start(r: v2.Request) -> None:
    r.timeseries[0].samples[0].start_timestamp = 0


def _start_after(r: v2.Request) -> None:
    r.timeseries[1].histograms[0].start_timestamp = 10_000


def _no_type(r: v2.Request) -> None:
    r.timeseries[0].metadata.type = v2.Metadata.METRIC_TYPE_UNSPECIFIED


def _exemplar_without_timestamp(r: v2.Request) -> None:
    r.timeseries[0].exemplars[0].timestamp = 0


@pytest.mark.parametrize(
    ("breaks", "says"),
    [
        (_symbols_first_not_empty, "symbols[0]"),
        (_symbols_repeated, "deduplicated"),
        (_ref_out_of_range, "past the symbols table"),
        (_odd_refs, "odd length"),
        (_unsorted, "not sorted"),
        (_no_name, "no __name__"),
        (_both, "not both"),
        (_neither, "not neither"),
        (_out_of_order, "increasing order"),
        (_no_start, "no start_timestamp"),
        (_start_after, "after its timestamp"),
        (_no_type, "metadata type not set"),
        (_exemplar_without_timestamp, "exemplar without a timestamp"),
    ],
)
def test_each_must_is_checked(breaks: object, says: str) -> None:
    request = _good()
    breaks(request)  # type: ignore[operator]
    found = violations(request)
    assert found and any(says in line for line in found), found


def test_a_stale_marker_is_recognised_and_needs_no_start_timestamp() -> None:
    assert is_stale(_STALE) and not is_stale(math.nan) and not is_stale(1.0)
    request = _good()
    request.timeseries[0].samples.add(value=_STALE, timestamp=3_000)
    assert violations(request) == []
