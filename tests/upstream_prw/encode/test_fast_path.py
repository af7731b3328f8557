"""The fast encoder against the straightforward protobuf path, for every metric kind.

Both run on the same input; the fast one twice (cold caches, then warm), and its bytes must
decode to exactly the series the generated classes build from the plain translation.
"""

from __future__ import annotations

from opentelemetry.sdk.metrics._internal.exemplar import Exemplar
from opentelemetry.sdk.metrics.export import Metric

from tests.upstream_prw.builders import (
    T0,
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
from upstream_prw.proto import remote_pb2
from upstream_prw.translate.model import Summary, SummaryDataPoint, ValueAtQuantile
from upstream_prw.translate.settings import TranslationSettings

SETTINGS = [
    TranslationSettings(),
    TranslationSettings(
        namespace="ns",
        resource_to_telemetry_conversion=True,
        add_scope_labels=False,
        external_labels={"cluster": "c1", "Az": "z"},
        send_metadata=True,
    ),
    TranslationSettings(add_metric_suffixes=False, target_info=False),
]


def _every_kind(t: int = T1) -> object:
    ex = Exemplar({"k": "v"}, 3.0, t, span_id=1, trace_id=2)
    hist = hist_point([0, 0.005, 5, 10], [1, 0, 2, 3, 4], 50.0, {"Upper": "x", "le": "bad"}, t=t)
    hist_ex = hist_point([1, 2], [1, 2, 3], 9.0, {"with": "exemplar"}, t=t)
    hist_ex = type(hist_ex)(**{**hist_ex.__dict__, "exemplars": [ex]})
    summary = SummaryDataPoint({"q": "1"}, T0, t, 3, 6.0, [ValueAtQuantile(0.5, 2.0)])
    return data(
        counter("http.requests", number(5, {"m": "GET"}, t), number(6, {"m": "PUT"}, t), unit="1"),
        counter("bytes", type(number(1))({"x": 1.5}, T0, t, 9, [ex]), unit="By"),
        gauge("temp", number(21.5, {"room": ["a", "b"]}, t), unit="Cel"),
        updown("queue", number(-2, {}, t)),
        histogram("latency", hist, hist_ex, unit="ms"),
        exp_histogram(
            "sizes", exp_point(3, (-3, [1, 0, 0, 0, 2]), (0, [4]), 1, 7.5, {"a": "b"}, t)
        ),
        Metric("rpc", "d", "s", Summary([summary])),
        resource={"service.name": "api", "service.instance.id": "i", "host": "h", "zone": "z"},
    )


def _as_dict(request: remote_pb2.WriteRequest) -> dict[tuple[tuple[str, str], ...], bytes]:
    """Series by label set, each as its canonical serialisation (order-insensitive compare)."""
    out = {}
    for ts in request.timeseries:
        out[tuple((lab.name, lab.value) for lab in ts.labels)] = ts.SerializeToString(
            deterministic=True
        )
    return out


def test_fast_path_decodes_to_the_protobuf_path_for_every_kind() -> None:
    for settings in SETTINGS:
        encoder = MetricsEncoder(settings, num_shards=3)
        for t in (T1, T1 + 10**10):  # cold caches, then the same series again, warm
            md = _every_kind(t)
            expected = translate(md, settings)
            want = write_request(expected.series, expected.metadata)
            requests, _ = encode(md, encoder=encoder)
            got = remote_pb2.WriteRequest()
            for series in merged(requests).values():
                got.timeseries.append(series)
            assert _as_dict(got) == _as_dict(want), settings
            metadata = [m for r in requests for m in decode(r).metadata]
            assert sorted(m.SerializeToString() for m in metadata) == sorted(
                m.SerializeToString() for m in want.metadata
            )


def test_fast_path_output_is_byte_identical_where_proto3_writes_all_fields() -> None:
    # Gauges with non-zero values: every field is present, so bytes match exactly.
    md = data(gauge("g", number(1.5, {"a": "b"}), number(2.5, {"a": "c"})))
    settings = TranslationSettings(target_info=False)
    requests, _ = encode(md, settings)
    (request,) = requests
    want = write_request(translate(md, settings).series).SerializeToString()
    assert decode(request).SerializeToString() == want


def test_repeated_points_of_a_series_go_out_in_time_order_on_both_paths() -> None:
    # OTLP-bridged data can carry several points of one series in one export: each later
    # one becomes a further sample; one not later than what the series already has is
    # reported, never sent out of order or as a duplicate timestamp.
    t2, t3 = T1 + 1_000_000, T1 + 2_000_000
    md = data(
        gauge("g", number(1, {"a": "x"}, T1), number(2, {"a": "x"}, t3), number(9, {"a": "y"})),
        gauge("g", number(3, {"a": "x"}, t2), number(4, {"a": "x"}, t3 + 1_000_000)),
        histogram("h", hist_point([1], [1, 0], 1.0, t=T1), hist_point([1], [1, 1], 3.0, t=t2)),
    )
    settings = TranslationSettings(target_info=False)
    requests, report = encode(md, settings)
    series = merged(requests)
    by_name = {
        tuple(lab.value for lab in ts.labels if lab.name in ("__name__", "a", "le")): [
            (s.timestamp, s.value) for s in ts.samples
        ]
        for ts in series.values()
    }
    ms = 1_000_000
    assert by_name[("g", "x")] == [(T1 // ms, 1), (t3 // ms, 2), (t3 // ms + 1, 4)]
    assert by_name[("h_bucket", "1")] == [(T1 // ms, 1), (t2 // ms, 1)]
    assert by_name[("h_count",)] == [(T1 // ms, 1), (t2 // ms, 2)]
    assert [d.points for d in report.dropped] == [1]  # the point at t2 came after t3
    assert "as late or later" in report.dropped[0].reason
    expected = translate(md, settings)
    assert [d.reason for d in expected.dropped] == [d.reason for d in report.dropped]
    got = remote_pb2.WriteRequest()
    for ts in series.values():
        got.timeseries.append(ts)
    assert _as_dict(got) == _as_dict(write_request(expected.series))
