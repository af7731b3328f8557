"""Property: whatever names, units and attributes come in, the wire stays valid."""

from __future__ import annotations

import math
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.upstream_prw.builders import counter, data, encode, gauge, hist_point, histogram, number
from tests.upstream_prw.decode import decode
from upstream_prw.translate.settings import TranslationSettings

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

text = st.text(max_size=40) | st.sampled_from(["", "a.b", "a_b", "9x", "_x", "__name__", "le"])
values = st.one_of(
    st.text(max_size=300),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.lists(st.one_of(st.text(max_size=5), st.integers(), st.booleans()), max_size=4),
)
attributes = st.dictionaries(text, values, max_size=8)
units = st.sampled_from(["", "1", "s", "ms", "By", "KiBy", "%", "m/s", "{req}/s", "{x}"]) | st.text(
    max_size=8
)
numbers = st.floats(allow_nan=False, allow_infinity=True) | st.integers(-(2**53), 2**53)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=text,
    unit=units,
    point_attrs=st.lists(attributes, min_size=1, max_size=4),
    resource=attributes,
    value=numbers,
    kind=st.sampled_from(["counter", "gauge", "histogram"]),
)
def test_labels_sorted_unique_non_empty_and_values_round_trip(
    name: str,
    unit: str,
    point_attrs: list[dict[str, object]],
    resource: dict[str, object],
    value: float,
    kind: str,
) -> None:
    if kind == "histogram":
        points = [hist_point([0, 1.5], [1, 2, 3], float(value), a) for a in point_attrs]
        metric = histogram(name, *points, unit=unit)
    else:
        points = [number(value, a) for a in point_attrs]
        metric = (counter if kind == "counter" else gauge)(name, *points, unit=unit)
    requests, report = encode(
        data(metric, resource=resource), TranslationSettings(send_metadata=True)
    )
    sent = 0
    for request in requests:
        decoded = decode(request)
        assert decoded.timeseries or decoded.metadata, "never an empty request"
        for ts in decoded.timeseries:
            names = [lab.name for lab in ts.labels]
            assert names == sorted(names)
            assert len(set(names)) == len(names)
            assert all(lab.name and lab.value for lab in ts.labels)
            assert all(LABEL_NAME.match(n) for n in names if n != "__name__")
            metric_name = dict((lab.name, lab.value) for lab in ts.labels)["__name__"]
            assert METRIC_NAME.match(metric_name)
            if kind != "histogram" and metric_name != "target_info":
                got = ts.samples[0].value
                assert got == float(value) or (math.isinf(got) and got == float(value))
            sent += 1
    # every point was either sent or reported
    assert report.points + sum(d.points for d in report.dropped) == len(point_attrs)
