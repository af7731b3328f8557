"""Translation rules, checked on the decoded bytes the encoder produces."""

from __future__ import annotations

import math
import struct

import pytest
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from tests.upstream_prw.builders import (
    DELTA,
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
from tests.upstream_prw.decode import decode, merged, values
from upstream_prw.encode.encoder import MetricsEncoder
from upstream_prw.translate.model import STALE_NAN_BITS, Summary, SummaryDataPoint, ValueAtQuantile
from upstream_prw.translate.settings import TranslationSettings

NO_SCOPE = TranslationSettings(add_scope_labels=False, target_info=False)
ID = 'instance="i-1",job="shop/api"'


def test_histogram_buckets_are_cumulative_and_inf_is_the_count() -> None:
    md = data(histogram("lat", hist_point([0, 5, 10], [1, 2, 3, 4], 12.5), unit="s"))
    reqs, _ = encode(md, NO_SCOPE)
    assert values(reqs) == {
        f'lat_seconds_bucket{{{ID},le="0"}}': 1,
        f'lat_seconds_bucket{{{ID},le="5"}}': 3,
        f'lat_seconds_bucket{{{ID},le="10"}}': 6,
        f'lat_seconds_bucket{{{ID},le="+Inf"}}': 10,
        f"lat_seconds_sum{{{ID}}}": 12.5,
        f"lat_seconds_count{{{ID}}}": 10,
    }


def test_counter_gauge_and_updown() -> None:
    md = data(
        counter("http.requests", number(7, {"method": "GET"}), unit="1"),
        updown("queue.depth", number(-3), unit="{items}"),
        gauge("cpu.utilization", number(0.25), unit="1"),
    )
    reqs, report = encode(md, NO_SCOPE)
    assert values(reqs) == {
        f'http_requests_total{{{ID},method="GET"}}': 7,
        f"queue_depth{{{ID}}}": -3,
        f"cpu_utilization_ratio{{{ID}}}": 0.25,
    }
    assert report.points == 3 and report.dropped == []


def test_timestamps_are_milliseconds() -> None:
    reqs, _ = encode(data(gauge("g", number(1, t=T1 + 999_999))), NO_SCOPE)
    (ts,) = merged(reqs).values()
    assert ts.samples[0].timestamp == (T1 + 999_999) // 1_000_000


def test_labels_sanitised_collisions_merged_empty_dropped_sorted() -> None:
    attrs = {"b.key": "2", "b_key": "1", "a": "", "Z": "upper", "9x": True, "list": [1, 2]}
    reqs, _ = encode(data(gauge("g", number(1, attrs))), NO_SCOPE)
    (labels,) = merged(reqs).keys()
    assert labels == (
        ("Z", "upper"),
        ("__name__", "g"),
        ("b_key", "2;1"),  # sorted original keys: "b.key" < "b_key"
        ("instance", "i-1"),
        ("job", "shop/api"),
        ("key_9x", "true"),
        ("list", "[1,2]"),
    )


def test_scope_labels_and_switch() -> None:
    scope = InstrumentationScope("my.lib", "2.0", None, {"tier": "gold"})
    md = data(gauge("g", number(1)), scope=scope)
    with_scope, _ = encode(md, TranslationSettings(target_info=False))
    labels = dict(next(iter(merged(with_scope))))
    assert labels["otel_scope_name"] == "my.lib"
    assert labels["otel_scope_version"] == "2.0"
    assert labels["otel_scope_tier"] == "gold"
    without, _ = encode(md, NO_SCOPE)
    assert not any(k.startswith("otel_scope") for k, _ in next(iter(merged(without))))


def test_resource_job_instance_and_target_info() -> None:
    resource = {"service.name": "api", "service.instance.id": "i-9", "host.name": "h1"}
    reqs, _ = encode(
        data(gauge("g", number(1)), resource=resource), TranslationSettings(add_scope_labels=False)
    )
    assert values(reqs) == {
        'g{instance="i-9",job="api"}': 1,
        'target_info{host_name="h1",instance="i-9",job="api"}': 1,
    }
    off, _ = encode(data(gauge("g", number(1)), resource=resource), NO_SCOPE)
    assert list(values(off)) == ['g{instance="i-9",job="api"}']


def test_resource_to_telemetry_conversion() -> None:
    resource = {"service.name": "api", "host.name": "h1"}
    settings = TranslationSettings(
        add_scope_labels=False, target_info=False, resource_to_telemetry_conversion=True
    )
    reqs, _ = encode(
        data(gauge("g", number(1, {"host.name": "override"})), resource=resource), settings
    )
    assert list(values(reqs)) == ['g{host_name="override",job="api",service_name="api"}']


def test_external_labels_only_where_missing() -> None:
    settings = TranslationSettings(
        add_scope_labels=False, target_info=False, external_labels={"cluster": "c1", "env": "prod"}
    )
    reqs, _ = encode(data(gauge("g", number(1, {"env": "dev"}))), settings)
    assert list(values(reqs)) == [f'g{{cluster="c1",env="dev",{ID}}}']


def test_namespace_and_suffix_switch() -> None:
    md = data(counter("requests", number(1), unit="s"))
    reqs, _ = encode(
        md, TranslationSettings(namespace="shop", add_scope_labels=False, target_info=False)
    )
    assert list(values(reqs)) == [f"shop_requests_seconds_total{{{ID}}}"]
    plain, _ = encode(
        md,
        TranslationSettings(add_metric_suffixes=False, add_scope_labels=False, target_info=False),
    )
    assert list(values(plain)) == [f"requests{{{ID}}}"]


def test_summary_from_otlp_shape() -> None:
    point = SummaryDataPoint(
        {}, T0, T1, 4, 10.0, [ValueAtQuantile(0.5, 2.0), ValueAtQuantile(0.99, 5.0)]
    )
    from opentelemetry.sdk.metrics.export import Metric

    md = data(Metric("rpc", "", "s", Summary([point])))
    reqs, _ = encode(md, NO_SCOPE)
    assert values(reqs) == {
        f'rpc_seconds{{{ID},quantile="0.5"}}': 2,
        f'rpc_seconds{{{ID},quantile="0.99"}}': 5,
        f"rpc_seconds_sum{{{ID}}}": 10,
        f"rpc_seconds_count{{{ID}}}": 4,
    }


def test_delta_points_become_cumulative() -> None:
    encoder = MetricsEncoder(NO_SCOPE)
    first, _ = encode(data(counter("c", number(2, t=T1), temporality=DELTA)), encoder=encoder)
    delta2 = counter("c", number(3, t=T1 + 10**10), temporality=DELTA)
    delta2.data.data_points[0] = type(delta2.data.data_points[0])({}, T1, T1 + 10**10, 3)
    second, _ = encode(data(delta2), encoder=encoder)
    assert list(values(first).values()) == [2]
    assert list(values(second).values()) == [5]


def test_delta_histogram_accumulates() -> None:
    encoder = MetricsEncoder(NO_SCOPE)
    encode(
        data(histogram("h", hist_point([1], [1, 1], 3.0, t=T1), temporality=DELTA)), encoder=encoder
    )
    second, _ = encode(
        data(
            histogram("h", hist_point([1], [2, 0], 1.0, t=T1 + 10**10, start=T1), temporality=DELTA)
        ),
        encoder=encoder,
    )
    assert values(second)[f'h_bucket{{{ID},le="1"}}'] == 3
    assert values(second)[f"h_count{{{ID}}}"] == 4
    assert values(second)[f"h_sum{{{ID}}}"] == 4.0


def test_no_recorded_value_flag_is_the_stale_nan() -> None:
    from opentelemetry.sdk.metrics.export import Buckets, ExponentialHistogramDataPoint

    point = ExponentialHistogramDataPoint(
        {}, T0, T1, 0, 0.0, 0, 0, Buckets(0, []), Buckets(0, []), 1, 0, 0
    )
    reqs, _ = encode(data(exp_histogram("e", point)), NO_SCOPE)
    (ts,) = merged(reqs).values()
    assert struct.unpack("<Q", struct.pack("<d", ts.histograms[0].sum))[0] == STALE_NAN_BITS


def test_exemplars_carry_trace_and_span_ids_within_the_rune_limit() -> None:
    from opentelemetry.sdk.metrics._internal.exemplar import Exemplar

    ex = Exemplar({"user": "x" * 200, "k": "v"}, 7.0, T1, span_id=0xABC, trace_id=0x123)
    point = hist_point([5, 10], [0, 1, 0], 7.0)
    point = type(point)(**{**point.__dict__, "exemplars": [ex]})
    reqs, _ = encode(data(histogram("h", point)), NO_SCOPE)
    series = merged(reqs)
    with_exemplar = [dict(k)["le"] for k, ts in series.items() if ts.exemplars]
    assert with_exemplar == ["10"]
    (ts,) = [ts for ts in series.values() if ts.exemplars]
    labels = {lab.name: lab.value for lab in ts.exemplars[0].labels}
    assert labels == {"trace_id": f"{0x123:032x}", "span_id": f"{0xABC:016x}", "k": "v"}
    assert sum(len(k) + len(v) for k, v in labels.items()) <= 128
    assert ts.exemplars[0].value == 7.0


def test_metadata_when_enabled() -> None:
    md = data(counter("c", number(1), unit="By"), histogram("h", hist_point([1], [0, 1])))
    reqs, _ = encode(md, TranslationSettings(send_metadata=True))
    meta = [m for r in reqs for m in decode(r).metadata]
    assert {(m.metric_family_name, m.type, m.unit) for m in meta} == {
        ("c_bytes_total", 1, "bytes"),  # spec: Metric Metadata: UNIT is the converted unit
        ("h", 3, ""),
    }
    assert meta[0].help == "help c"


def test_untranslatable_metric_is_reported_not_silently_lost() -> None:
    md = data(gauge("ééé", number(1), number(2, {"a": "b"})), gauge("ok", number(3)))
    reqs, report = encode(md, NO_SCOPE)
    assert list(values(reqs)) == [f"ok{{{ID}}}"]
    assert [(d.metric, d.points) for d in report.dropped] == [("ééé", 2)]
    assert "valid" in report.dropped[0].reason


def test_colliding_series_from_two_metrics_keep_the_first_and_report() -> None:
    md = data(counter("requests", number(1), unit="1"), counter("requests_total", number(2)))
    reqs, report = encode(md, NO_SCOPE)
    assert list(values(reqs).values()) == [1]
    assert report.dropped[0].metric == "requests_total"


def test_stale_markers_for_series_that_disappear_from_their_metric() -> None:
    encoder = MetricsEncoder(NO_SCOPE)
    first = data(gauge("a", number(1)), gauge("b", number(1, {"k": "x"}), number(1, {"k": "y"})))
    encode(first, encoder=encoder)
    # `a` is not exported at all: its series stay; `b` is, without k="y": that one ends.
    reqs, report = encode(data(gauge("b", number(2, {"k": "x"}, T1 + 10**10))), encoder=encoder)
    series = merged(reqs)
    assert [dict(k)["k"] for k, ts in series.items() if math.isnan(ts.samples[0].value)] == ["y"]
    (y,) = [ts for k, ts in series.items() if dict(k).get("k") == "y"]
    assert struct.unpack("<Q", struct.pack("<d", y.samples[0].value))[0] == STALE_NAN_BITS
    assert y.samples[0].timestamp == (T1 + 10**10) // 1_000_000
    assert report.stale_markers == 1


def test_requests_split_below_max_batch_size_and_never_empty() -> None:
    points = [number(i, {"i": str(i), "pad": "x" * 50}) for i in range(2000)]
    encoder = MetricsEncoder(NO_SCOPE, max_batch_size_bytes=20_000, num_shards=3)
    reqs, report = encode(data(gauge("g", *points)), encoder=encoder)
    assert len(reqs) > 3
    assert all(0 < r.raw_size <= 20_000 and r.series > 0 for r in reqs)
    assert len(merged(reqs)) == 2000 == report.series
    for r in reqs:  # every series of a request belongs to the request's shard, always
        for ts in decode(r).timeseries:
            assert encoder_shard_of(encoder, ts) == r.shard


def encoder_shard_of(encoder: MetricsEncoder, ts: object) -> int:
    import zlib

    from upstream_prw.encode.wire import labels_bytes

    labels = tuple((lab.name, lab.value) for lab in ts.labels)  # type: ignore[attr-defined]
    return zlib.crc32(labels_bytes(labels)) % encoder.num_shards


@pytest.mark.parametrize("scale", [-4, 0, 3, 8, 10])
def test_exponential_histogram_round_trips_bucket_boundaries(scale: int) -> None:
    positive = (-2, [1, 0, 0, 0, 5, 2])
    negative = (1, [3, 0, 4])
    point = exp_point(scale, positive, negative, zero_count=2, total=9.5)
    reqs, _ = encode(data(exp_histogram("e", point)), NO_SCOPE)
    (ts,) = merged(reqs).values()
    (h,) = ts.histograms
    schema = min(scale, 8)
    assert (h.schema, h.count_int, h.zero_count_int, h.sum) == (schema, 17, 2, 9.5)
    for spans, deltas, (offset, counts) in (
        (h.positive_spans, h.positive_deltas, positive),
        (h.negative_spans, h.negative_deltas, negative),
    ):
        got = _native_buckets(spans, deltas)
        want: dict[int, int] = {}
        for i, c in enumerate(counts):
            if c:
                # The OTel bucket's upper bound 2**((i+1)/2**scale) must fall in Prometheus
                # bucket j, which covers (2**((j-1)/2**schema), 2**(j/2**schema)].
                log2_upper = (offset + i + 1) * 2.0**-scale
                j = math.ceil(log2_upper * 2**schema - 1e-9)
                want[j] = want.get(j, 0) + c
        assert got == want


def test_exponential_histogram_below_schema_minus_4_is_reported() -> None:
    reqs, report = encode(data(exp_histogram("e", exp_point(-5, (0, [1])))), NO_SCOPE)
    assert reqs == [] or not merged(reqs)
    assert "below -4" in report.dropped[0].reason


def _native_buckets(spans: object, deltas: object) -> dict[int, int]:
    """Prometheus bucket index → count, decoded from spans and delta-encoded counts."""
    out: dict[int, int] = {}
    index, count, k = 0, 0, 0
    deltas = list(deltas)  # type: ignore[call-overload]
    for n, span in enumerate(spans):  # type: ignore[attr-defined]
        index = span.offset if n == 0 else index + span.offset
        for _ in range(span.length):
            count += deltas[k]
            k += 1
            if count:
                out[index] = count
            index += 1
    assert k == len(deltas)
    return out
