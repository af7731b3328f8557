"""Property: on random metrics the encoder's bytes decode to what the protobuf path builds.

One export of anything (keys that collide once sanitised, empty values, sequences,
exemplars, summaries, native histograms); then several exports of the same series, as the
SDK makes them, which is what the encoder's metric-at-a-time paths take, with stale markers
for series that went away.
"""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics._internal.exemplar import Exemplar
from opentelemetry.sdk.metrics.export import Metric

from tests.upstream_prw.builders import (
    T1,
    counter,
    data,
    encode,
    exp_histogram,
    exp_point,
    gauge,
    hist_point,
    histogram,
    number,
    updown,
)
from tests.upstream_prw.decode import decode, merged
from tests.upstream_prw.reference.protobuf import write_request
from tests.upstream_prw.reference.translation import translate
from upstream_prw.encode.encoder import MetricsEncoder
from upstream_prw.translate.model import (
    STALE_NAN_BITS,
    Summary,
    SummaryDataPoint,
    ValueAtQuantile,
)
from upstream_prw.translate.settings import TranslationSettings

SETTINGS = st.sampled_from(
    [
        TranslationSettings(),
        TranslationSettings(target_info=False, add_scope_labels=False),
        TranslationSettings(
            resource_to_telemetry_conversion=True,
            external_labels={"cluster": "c1", "Az": "z"},
            namespace="ns",
        ),
    ]
)
KINDS = ["counter", "gauge", "updown", "histogram", "summary", "exponential"]
# Keys that collide once sanitised ("a.b", "a_b"), sort before `__name__` ("Zone"), or are
# reserved ("le", "quantile"); values of every type, empty ones, sequences.
KEYS = st.sampled_from(["a.b", "a_b", "Zone", "le", "quantile", "code", "route", "9lives"])
VALUES = st.one_of(
    st.sampled_from(["", "GET", "/api/v1/x", "ü", "a;b"]),
    st.integers(-2, 500),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=True, width=32),
    st.lists(st.sampled_from(["x", 1, True]), max_size=2),
)


def _identity(attrs: dict[str, Any]) -> tuple[Any, ...]:
    """Points the encoder takes for the same series: equal keys and values, in order (so
    1, 1.0 and True are one value, as they are to a dict); two in one metric are reported
    as a duplicate, where the plain translation would give the series two samples."""
    return tuple((k, repr(v) if isinstance(v, list) else v) for k, v in attrs.items())


def _point(kind: str, attrs: dict[str, Any], value: int, t: int, exemplar: bool) -> Any:
    exemplars = [Exemplar({"k": "v"}, 2.0, t, span_id=1, trace_id=2)] if exemplar else []
    if kind == "histogram":
        point = hist_point([0, 5, 10], [value, 1, 0, 2], value * 1.5, attrs, t=t)
        return type(point)(**{**point.__dict__, "exemplars": exemplars})
    if kind == "summary":
        quantiles = [ValueAtQuantile(0.5, value), ValueAtQuantile(0.99, value * 2)]
        return SummaryDataPoint(attrs, T1 - 10**9, t, value, value * 3.0, quantiles)
    if kind == "exponential":
        return exp_point(0, (-1, [value, 1]), attrs=attrs, total=float(value), t=t)
    point = number(value, attrs, t=t)
    return type(point)(**{**point.__dict__, "exemplars": exemplars})


def _metric(kind: str, name: str, points: list[Any]) -> Metric:
    if kind == "summary":
        return Metric(name, "help", "s", Summary(points))
    build = {
        "counter": counter,
        "gauge": gauge,
        "updown": updown,
        "histogram": histogram,
        "exponential": exp_histogram,
    }[kind]
    return build(name, *points, unit="ms")  # type: ignore[no-any-return, operator]


def _canonical(series: Any) -> dict[tuple[tuple[str, str], ...], bytes]:
    return {
        tuple((lab.name, lab.value) for lab in ts.labels): ts.SerializeToString(deterministic=True)
        for ts in series
    }


def _expected(md: Any, settings: TranslationSettings) -> dict[tuple[tuple[str, str], ...], bytes]:
    return _canonical(write_request(translate(md, settings).series).timeseries)


def _stale(ts: Any) -> bool:
    bits = struct.unpack("<Q", struct.pack("<d", ts.samples[-1].value))[0] if ts.samples else 0
    return bool(bits == STALE_NAN_BITS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    settings_=SETTINGS,
    metrics=st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.lists(
                st.tuples(
                    st.dictionaries(KEYS, VALUES, max_size=4),
                    st.integers(0, 50),
                    st.sampled_from([T1, T1 + 10**6]),
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
def test_one_export_of_anything_matches_the_protobuf_path(
    settings_: TranslationSettings,
    metrics: list[tuple[str, list[tuple[dict[str, Any], int, int, bool]]]],
) -> None:
    md = data(
        *(
            _metric(kind, f"m{i}", [_point(kind, a, v, t, ex) for a, v, t, ex in points])
            for i, (kind, points) in enumerate(metrics)
        ),
        resource={"service.name": "svc", "host": "h", "Zone": "r"},
    )
    # Points whose labels collide are reported, not sent twice (test_translate covers that);
    # here the translations must agree on everything that is sent.
    dropped = translate(md, settings_).dropped
    assume(not any("already produced" in d.reason for d in dropped))
    requests, _ = encode(md, settings_)
    assert _canonical(merged(requests).values()) == _expected(md, settings_)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    settings_=SETTINGS,
    kinds=st.lists(st.sampled_from(["counter", "gauge", "histogram"]), min_size=1, max_size=4),
    series=st.integers(1, 12),
    kept=st.integers(0, 12),
    absent=st.sets(st.integers(0, 3)),
    shards=st.integers(1, 4),
    limit=st.sampled_from([400, 5_000, 3_000_000]),
)
def test_later_exports_of_the_same_series_match_and_mark_the_missing_stale(
    settings_: TranslationSettings,
    kinds: list[str],
    series: int,
    kept: int,
    absent: set[int],
    shards: int,
    limit: int,
) -> None:
    """The SDK's shape: the same attribute dicts' content at each collection, one timestamp
    per export, values moving on. The third export leaves some metrics out (they mark
    nothing stale); at the last one every metric is back with only some of its series
    (maybe none): each series its metric's previous export had and this one lacks goes stale."""
    encoder = MetricsEncoder(settings_, num_shards=shards, max_batch_size_bytes=limit)
    attrs = [{"route": f"/r{i}", "code": 200 + i % 3, "Zone": "z"} for i in range(series)]
    last: dict[str, set[tuple[tuple[str, str], ...]]] = {}
    for export in range(4):
        t = T1 + export * 15 * 10**9
        present = attrs if export < 3 else attrs[:kept]
        names = [f"m{i}" for i in range(len(kinds)) if export != 2 or i not in absent]
        md = data(
            *(
                _metric(
                    kinds[int(name[1:])],
                    name,
                    [
                        _point(kinds[int(name[1:])], dict(a), export + j, t, False)
                        for j, a in enumerate(present)
                    ],
                )
                for name in names
            ),
            resource={"service.name": "svc", "host": "h"},
        )
        requests, _ = encode(md, encoder=encoder)
        # Over the limit only when one point alone is (a histogram's 6 series go together).
        assert all(r.raw_size <= limit or r.series <= 6 for r in requests)
        got = merged(requests)
        fresh = {k: ts for k, ts in got.items() if not _stale(ts)}
        assert _canonical(fresh.values()) == _expected(md, settings_)
        gone = {k for k, ts in got.items() if _stale(ts)}
        expected_gone: set[tuple[tuple[str, str], ...]] = set()
        for name in names:
            now = {k for k in fresh if _metric_of(k) == name}
            expected_gone |= last.get(name, set()) - now
            last[name] = now
        assert gone == expected_gone
        for request in requests:
            assert decode(request).timeseries or decode(request).metadata


def _metric_of(labels: tuple[tuple[str, str], ...]) -> str:
    """Which of the test's metrics (`m0`, `m1`...) a series comes from; "" for target_info."""
    tokens = dict(labels)["__name__"].split("_")
    return next((t for t in tokens if t[:1] == "m" and t[1:].isdigit()), "")
