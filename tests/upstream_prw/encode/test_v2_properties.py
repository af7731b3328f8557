"""Property: on random metrics, the 2.0 path (1.0 entries with start timestamps, rewritten
by `Upgrader`) decodes to the message the generated 2.0 classes build from the plain
translation, and every request keeps the 2.0 rules."""

from __future__ import annotations

from typing import Any

import cramjam
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.upstream_prw.builders import T1, counter, data, hist_point, histogram, number
from tests.upstream_prw.encode.test_fast_path_properties import (
    KEYS,
    KINDS,
    SETTINGS,
    VALUES,
    _identity,
    _metric,
    _point,
)
from tests.upstream_prw.reference.protobuf_v2 import canonical, request_v2
from tests.upstream_prw.reference.translation import translate
from upstream_prw.config.translation import V2_MESSAGE
from upstream_prw.encode.encoder import MetricsEncoder
from upstream_prw.encode.upgrade import Upgrader
from upstream_prw.proto import remote_v2_pb2 as v2
from upstream_prw.translate.settings import TranslationSettings


def encode_v2(md: Any, settings_: TranslationSettings, limit: int = 3_000_000) -> list[Any]:
    encoder = MetricsEncoder(settings_, num_shards=2, max_batch_size_bytes=limit)
    encoder.v2 = True
    upgrader = Upgrader(encoder.catalog, limit)
    requests: list[Any] = []
    upgrader.start_export()
    encoder.encode(md, lambda r: requests.extend(upgrader.upgrade(r)))
    assert all(r.message == V2_MESSAGE for r in requests)
    return requests


def decoded(request: Any) -> v2.Request:
    raw = bytes(cramjam.snappy.decompress_raw(request.payload))
    assert len(raw) == request.raw_size
    return v2.Request.FromString(raw)


def check_rules(message: v2.Request) -> None:
    """The 2.0 MUSTs a sender can break: symbols[0] "", no duplicate symbol, references in
    range and in pairs, samples or histograms (one kind, at least one)."""
    symbols = list(message.symbols)
    assert symbols[0] == "" and len(set(symbols)) == len(symbols)
    for ts in message.timeseries:
        refs = list(ts.labels_refs)
        assert refs and len(refs) % 2 == 0 and max(refs) < len(symbols)
        names = [symbols[r] for r in refs[::2]]
        assert names == sorted(names) and "__name__" in names
        assert bool(ts.samples) != bool(ts.histograms)
        assert ts.metadata.help_ref < len(symbols) and ts.metadata.unit_ref < len(symbols)
        for s in [*ts.samples, *ts.histograms]:
            assert s.start_timestamp <= s.timestamp


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    settings_=SETTINGS,
    limit=st.sampled_from([600, 3_000_000]),
    metrics=st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.lists(
                st.tuples(
                    st.dictionaries(KEYS, VALUES, max_size=4),
                    st.integers(0, 50),
                    st.booleans(),
                ),
                min_size=1,
                max_size=5,
                unique_by=lambda point: _identity(point[0]),
            ),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_the_2_0_path_decodes_to_what_the_generated_classes_build(
    settings_: TranslationSettings,
    limit: int,
    metrics: list[tuple[str, list[tuple[dict[str, Any], int, bool]]]],
) -> None:
    md = data(
        *(
            _metric(kind, f"m{i}", [_point(kind, a, v, T1, ex) for a, v, ex in points])
            for i, (kind, points) in enumerate(metrics)
        ),
        resource={"service.name": "svc", "host": "h", "Zone": "r"},
    )
    expected = translate(md, settings_, v2=True)
    assume(not any("already produced" in d.reason for d in expected.dropped))
    requests = encode_v2(md, settings_, limit)
    messages = [decoded(r) for r in requests]
    for message, request in zip(messages, requests, strict=True):
        check_rules(message)
        assert request.raw_size <= limit or len(message.timeseries) == 1
        assert request.samples == sum(len(ts.samples) for ts in message.timeseries)
        assert request.histograms == sum(len(ts.histograms) for ts in message.timeseries)
    assert canonical(messages) == canonical([request_v2(expected)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    exports=st.lists(
        st.lists(st.integers(0, 30), min_size=1, max_size=25, unique=True),
        min_size=2,
        max_size=5,
    ),
    limit=st.sampled_from([900, 3_000_000]),
)
def test_later_exports_reuse_their_tables_and_still_decode_right(
    exports: list[list[int]], limit: int
) -> None:
    """Series come and go between exports; each request keeps the 2.0 rules and decodes
    to what the generated classes build, with tables kept from export to export."""
    settings_ = TranslationSettings(target_info=False)
    encoder = MetricsEncoder(settings_, num_shards=2, max_batch_size_bytes=limit)
    encoder.v2 = True
    upgrader = Upgrader(encoder.catalog, limit)
    for n, present in enumerate(exports):
        t = T1 + n * 15 * 10**9
        numbers = [number(n + i, {"route": f"/r{i}", "code": i % 3}, t=t) for i in present]
        buckets = [hist_point([1, 5], [i, 1, n], 2.0, {"r": f"{i}"}, t=t) for i in present]
        md = data(counter("c", *numbers), histogram("h", *buckets))
        requests = _export(encoder, upgrader, md)
        messages = [decoded(r) for r in requests]
        for message in messages:
            check_rules(message)
        got = {k: v for k, v in canonical(messages).items() if not _all_stale(v)}
        expected = canonical([request_v2(translate(md, settings_, v2=True))])
        assert got == expected


def _all_stale(entry: dict[str, Any]) -> bool:
    stale = 0x7FF0000000000002
    return bool(entry["samples"]) and all(bits == stale for bits, _, _ in entry["samples"])


def _export(encoder: MetricsEncoder, upgrader: Upgrader, md: Any) -> list[Any]:
    requests: list[Any] = []
    upgrader.start_export()
    encoder.encode(md, lambda r: requests.extend(upgrader.upgrade(r)))
    return requests
