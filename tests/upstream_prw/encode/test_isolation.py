"""One bad point or metric costs only itself: it is dropped and reported by name, the rest of
the export goes out, and the next export is exactly what the plain translation makes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from opentelemetry.sdk.metrics._internal.exemplar import Exemplar
from opentelemetry.sdk.metrics.export import (
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from tests.upstream_prw.builders import (
    CUMULATIVE,
    DELTA,
    T0,
    T1,
    counter,
    data,
    exp_histogram,
    exp_point,
    gauge,
    hist_point,
    histogram,
    number,
)
from tests.upstream_prw.decode import decode, merged, values
from tests.upstream_prw.reference.protobuf import write_request
from tests.upstream_prw.reference.translation import translate
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.encoder import EncodeReport, MetricsEncoder
from upstream_prw.proto import remote_pb2
from upstream_prw.translate.delta import DeltaState
from upstream_prw.translate.model import (
    BAD_TIMESTAMP,
    TOO_LARGE,
    Dropped,
    Summary,
    SummaryDataPoint,
    ValueAtQuantile,
)
from upstream_prw.translate.settings import TranslationSettings

SETTINGS = TranslationSettings(send_metadata=True)
STEP = 15 * 10**9  # ns between collections
HUGE = 10**400  # an int no double holds


def _canonical(request: remote_pb2.WriteRequest) -> dict[tuple[tuple[str, str], ...], bytes]:
    return {
        tuple((lab.name, lab.value) for lab in ts.labels): ts.SerializeToString(deterministic=True)
        for ts in request.timeseries
    }


def _check(
    encoder: MetricsEncoder,
    md: Any,
    settings: TranslationSettings = SETTINGS,
    deltas: dict[Any, DeltaState] | None = None,
) -> tuple[list[EncodedRequest], EncodeReport]:
    """Encode `md`; its decoded series, metadata and drop reports must be exactly those of
    the plain translation."""
    out: list[EncodedRequest] = []
    report = encoder.encode(md, out.append)
    expected = translate(md, settings, deltas)
    want = write_request(expected.series, expected.metadata)
    got = remote_pb2.WriteRequest()
    for ts in merged(out).values():
        got.timeseries.append(ts)
    assert _canonical(got) == _canonical(want)
    metadata = sorted(m.SerializeToString() for r in out for m in decode(r).metadata)
    assert metadata == sorted(m.SerializeToString() for m in want.metadata)
    assert report.dropped == expected.dropped
    return out, report


def test_lone_surrogates_become_replacement_characters_everywhere() -> None:
    bad = "\udc80"
    scope = InstrumentationScope(f"lib{bad}", f"1.{bad}", None, {"tier": f"g{bad}"})
    exemplar = Exemplar({"user": f"u{bad}"}, 2.0, T1, span_id=1, trace_id=2)
    attrs = {"path": f"/a{bad}b", "tags": [f"x{bad}", "y"], f"k{bad}": "v"}
    summary = SummaryDataPoint(attrs, T0, T1, 1, 2.0, [ValueAtQuantile(0.5, 2.0)])

    def export(n: int) -> MetricsData:
        t = T1 + n * STEP
        with_exemplar = type(number(1))(attrs, T0, t, n, [exemplar])
        return data(
            counter(f"req{bad}s", number(n, attrs, t), unit=f"m{bad}s"),
            counter("g", with_exemplar),  # exemplars go on counters, not gauges
            histogram("h", hist_point([1], [1, n], 3.0, attrs, t)),
            exp_histogram("e", exp_point(0, (0, [1]), attrs=attrs, t=t)),
            Metric("s", f"d{bad}", "", Summary([summary])),
            resource={"service.name": f"api{bad}", "host": f"h{bad}"},
            scope=scope,
        )

    encoder = MetricsEncoder(SETTINGS)
    for n in (1, 2):  # new series, then the same ones on the fast path
        requests, report = _check(encoder, export(n))
        assert report.dropped == []
    got = values(requests)
    context = (
        'job="api\ufffd",k_="v",otel_scope_name="lib\ufffd",otel_scope_tier="g\ufffd",'
        'otel_scope_version="1.\ufffd",path="/a\ufffdb",tags="["x\ufffd","y"]"'
    )
    assert got[f"req_s_m_s_total{{{context}}}"] == 2
    assert got['target_info{host="h\ufffd",job="api\ufffd"}'] == 1
    metadata = {m.metric_family_name: m for r in requests for m in decode(r).metadata}
    assert (metadata["req_s_m_s_total"].help, metadata["req_s_m_s_total"].unit) == (
        "help req\ufffds",
        "m_s",  # as UNIT metadata: the unit made into words
    )
    assert metadata["s"].help == "d\ufffd"
    series = merged(requests)
    (with_exemplar,) = [ts for ts in series.values() if ts.exemplars]
    assert [(lab.name, lab.value) for lab in with_exemplar.exemplars[0].labels] == [
        ("span_id", f"{1:016x}"),
        ("trace_id", f"{2:032x}"),
        ("user", "u\ufffd"),
    ]


def test_lone_surrogates_in_the_namespace_and_external_labels_are_replaced_too() -> None:
    settings = TranslationSettings(
        namespace="n\udc80s", external_labels={"env": "p\udc80"}, add_scope_labels=False
    )
    md = data(gauge("g", number(1)), resource={"service.name": "api", "host": "h"})
    requests, report = _check(MetricsEncoder(settings), md, settings)
    assert values(requests) == {
        'n_s_g{env="p\ufffd",job="api"}': 1,
        'n_s_target_info{env="p\ufffd",host="h",job="api"}': 1,
    }
    assert report.dropped == []


def _values_export(n: int, poisoned: bool) -> MetricsData:
    """Counters and histograms whose second point holds a value no double can hold when
    `poisoned`: a counter past the float range, a histogram's sum, a histogram's count."""
    t = T1 + n * STEP
    big = HUGE if poisoned else n
    return data(
        counter("c", number(n, {"a": "1"}, t), number(big, {"a": "2"}, t), number(n, {}, t)),
        histogram(
            "sum",
            hist_point([1], [1, n], 1.0, {"a": "1"}, t),
            hist_point([1], [1, n], float(n) if not poisoned else HUGE, {"a": "2"}, t),
            hist_point([1], [1, n], 1.0, {"a": "3"}, t),
        ),
        histogram(
            "count",
            hist_point([1], [1, n], 1.0, {"a": "1"}, t),
            hist_point([1], [1, big], 1.0, {"a": "2"}, t),
        ),
        exp_histogram("e", exp_point(0, (0, [1]), total=HUGE if poisoned else 1.0, t=t)),
    )


def test_values_no_double_holds_drop_only_their_point_new_or_known() -> None:
    encoder = MetricsEncoder(SETTINGS)
    too_large = [Dropped(m, TOO_LARGE) for m in ("c", "sum", "count", "e")]
    _, report = _check(encoder, _values_export(1, poisoned=True))  # new series: point loop
    assert report.dropped == too_large
    _check(encoder, _values_export(2, poisoned=False))
    # Known series: the fast path hands the point it cannot write, and those after, to the
    # point loop; the dropped point's series is still there, so nothing goes stale.
    _, report = _check(encoder, _values_export(3, poisoned=True))
    assert report.dropped == too_large
    assert report.stale_markers == 0
    requests, report = _check(encoder, _values_export(4, poisoned=False))
    assert report.dropped == [] and report.stale_markers == 0
    assert (
        values(requests)[
            'sum_sum{a="2",instance="i-1",job="shop/api",otel_scope_name="lib",otel_scope_version="1.2"}'
        ]
        == 4.0
    )


def test_a_delta_counter_summed_past_the_float_range_drops_its_point() -> None:
    encoder = MetricsEncoder(SETTINGS)
    deltas: dict[Any, DeltaState] = {}
    first = data(counter("d", NumberDataPoint({}, T0, T1, 10**308), temporality=DELTA))
    _check(encoder, first, deltas=deltas)
    second = NumberDataPoint({}, T1, T1 + STEP, 10**308)  # the total is now 2e308
    _, report = _check(encoder, data(counter("d", second, temporality=DELTA)), deltas=deltas)
    assert report.dropped == [Dropped("d", TOO_LARGE)]


def test_timestamps_remote_write_cannot_carry_drop_only_their_points() -> None:
    encoder = MetricsEncoder(SETTINGS)
    negative, beyond = -5 * 10**6, (1 << 63) * 10**6  # -5 ms, 2**63 ms
    md = data(
        gauge("t", number(1, {"a": "neg"}, negative), number(2, {"a": "ok"}), number(3, {}, beyond))
    )
    requests, report = _check(encoder, md)
    assert report.dropped == [Dropped("t", BAD_TIMESTAMP), Dropped("t", BAD_TIMESTAMP)]
    assert [k.split("{")[0] for k in values(requests)] == ["t", "target_info"]
    # Known series, all at a timestamp out of range: dropped, and not stale.
    _check(encoder, data(gauge("t", number(1, {"a": "ok"}, T1 + STEP))))
    requests, report = _check(encoder, data(gauge("t", number(1, {"a": "ok"}, negative))))
    assert report.dropped == [Dropped("t", BAD_TIMESTAMP)]
    assert report.stale_markers == 0 and values(requests) == {}
    _, report = _check(encoder, data(gauge("t", number(5, {"a": "ok"}, T1 + 2 * STEP))))
    assert report.dropped == [] and report.stale_markers == 0


class _Unreadable:
    """A metric whose data raises when read."""

    name, description, unit = "poison", "", ""

    @property
    def data(self) -> Any:
        raise RuntimeError("cannot read")


class _NoText:
    """An attribute value that cannot be turned into text."""

    def __str__(self) -> str:
        raise ValueError("no text")


class _BadResource:
    @property
    def attributes(self) -> Any:
        raise RuntimeError("no attributes")


def _poisoned_export(n: int) -> MetricsData:
    t = T1 + n * STEP
    good = data(
        gauge("before", number(n, {"k": "v"}, t)),
        _Unreadable(),  # type: ignore[arg-type]
        counter("odd", number(n, {"k": _NoText()}, t), number(n, {"k": "fine"}, t)),
        counter("after", number(n, {}, t)),
    )
    lost = ResourceMetrics(
        _BadResource(),  # type: ignore[arg-type]
        [ScopeMetrics(InstrumentationScope("x"), [gauge("elsewhere", number(1), number(2))], "")],
        "",
    )
    return MetricsData([lost, *good.resource_metrics])


def _clean_export(n: int) -> MetricsData:
    t = T1 + n * STEP
    return data(
        gauge("before", number(n, {"k": "v"}, t)),
        counter("odd", number(n, {"k": "fine"}, t)),
        counter("after", number(n, {}, t)),
    )


def test_a_metric_that_raises_is_reported_and_the_rest_goes_out() -> None:
    encoder = MetricsEncoder(SETTINGS)
    requests, report = _check(encoder, _poisoned_export(1))
    assert report.dropped == [
        Dropped(
            "elsewhere", "its resource could not be translated: RuntimeError: no attributes", 2
        ),
        Dropped("poison", "could not be translated: RuntimeError: cannot read", 1),
        Dropped("odd", "could not be translated: ValueError: no text"),
    ]
    assert sorted(k.split("{")[0] for k in values(requests)) == [
        "after_total",
        "before",
        "odd_total",
        "target_info",
    ]
    assert report.points == 3  # before, odd{k="fine"} and after


def test_the_export_after_a_poisoned_one_is_exactly_the_plain_translation() -> None:
    encoder = MetricsEncoder(SETTINGS)
    _check(encoder, _poisoned_export(1))
    for n in (2, 3):  # new state after the failures, then the fast path
        _, report = _check(encoder, _clean_export(n))
        assert report.dropped == [] and report.stale_markers == 0
    _check(encoder, _poisoned_export(4))
    _, report = _check(encoder, _clean_export(5))
    assert report.dropped == [] and report.stale_markers == 0


def test_a_point_that_cannot_be_read_does_not_stop_the_points_after_it() -> None:
    unreadable = SimpleNamespace(attributes={"k": "b"}, time_unix_nano=None)
    md = data(counter("c", number(1, {"k": "a"}), unreadable, number(3, {"k": "c"})))  # type: ignore[arg-type]
    out: list[EncodedRequest] = []
    report = MetricsEncoder(TranslationSettings(add_scope_labels=False)).encode(md, out.append)
    reason = "unsupported operand type(s) for //: 'NoneType' and 'int'"
    assert report.dropped == [Dropped("c", f"could not be translated: TypeError: {reason}")]
    got = {k: v for k, v in values(out).items() if k.startswith("c_total")}
    assert got == {
        'c_total{instance="i-1",job="shop/api",k="a"}': 1,
        'c_total{instance="i-1",job="shop/api",k="c"}': 3,
    }


class _Flaky(list):  # type: ignore[type-arg]
    """Points that raise after the first two are read."""

    def __iter__(self) -> Any:
        yield from self[:2]
        raise RuntimeError("lost the connection")


def test_a_metric_that_raises_half_way_keeps_the_next_exports_right() -> None:
    encoder = MetricsEncoder(SETTINGS)
    points = [number(i, {"k": str(i)}) for i in range(3)]
    out: list[EncodedRequest] = []
    flaky = Metric("flaky", "help flaky", "", Sum(_Flaky(points), CUMULATIVE, True))
    report = encoder.encode(data(flaky), out.append)
    reason = "could not be translated: RuntimeError: lost the connection"
    assert report.dropped == [Dropped("flaky", reason, 3)]
    # Each entry reaches its shard whole: the two points written before the failure go out.
    assert sorted(k.split(",")[-1] for k in values(out) if k.startswith("flaky")) == [
        'otel_scope_version="1.2"}',
        'otel_scope_version="1.2"}',
    ]
    for n in (1, 2):  # all three, new and known: nothing stale, exactly the translation
        md = data(
            counter("flaky", *(number(i + n, {"k": str(i)}, T1 + n * STEP) for i in range(3)))
        )
        _, report = _check(encoder, md)
        assert report.dropped == [] and report.stale_markers == 0
    # without two of them: exactly those two go stale
    out = []
    report = encoder.encode(
        data(counter("flaky", number(9, {"k": "0"}, T1 + 3 * STEP))), out.append
    )
    assert report.stale_markers == 2


class _Cut(list):  # type: ignore[type-arg]
    """Resources of an export that raise after the first is read."""

    def __iter__(self) -> Any:
        yield self[0]
        raise RuntimeError("gone")


def test_an_export_that_cannot_be_read_to_the_end_sends_what_was_read() -> None:
    encoder = MetricsEncoder(SETTINGS)
    md = _clean_export(1)
    cut = MetricsData(_Cut([*md.resource_metrics, *md.resource_metrics]))
    out: list[EncodedRequest] = []
    report = encoder.encode(cut, out.append)
    reason = "the rest of the export could not be translated: RuntimeError: gone"
    assert report.dropped == [Dropped("", reason, 0)]
    assert sorted(k.split("{")[0] for k in values(out)) == [
        "after_total",
        "before",
        "odd_total",
        "target_info",
    ]
    _, report = _check(encoder, _clean_export(2))
    assert report.dropped == [] and report.stale_markers == 0
