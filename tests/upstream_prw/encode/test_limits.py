"""`limits`: a series with more labels than the backend takes is reported by its metric and
not sent (the rest of the request goes through); HELP text is cut to the byte limit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.upstream_prw.builders import T1, counter, data, gauge, hist_point, histogram, number
from tests.upstream_prw.decode import decode, merged
from upstream_prw.encode.encoder import MetricsEncoder
from upstream_prw.encode.wire import label_count, labels_bytes
from upstream_prw.translate.model import Dropped
from upstream_prw.translate.settings import TranslationSettings

LIMITED = TranslationSettings(add_scope_labels=False, target_info=False, max_labels_per_series=5)


def _wide(n: int) -> dict[str, str]:
    return {f"k{i}": "v" for i in range(n)}


def _export(encoder: MetricsEncoder, md: Any) -> tuple[list[Any], Any]:
    requests: list[Any] = []
    report = encoder.encode(md, requests.append)
    return requests, report


@pytest.mark.parametrize("labels", [0, 1, 2, 7, 40])
def test_label_count_reads_the_encoded_labels(labels: int) -> None:
    pairs = [(f"name{i}", "x" * (i * 50)) for i in range(labels)]  # long ones: 2-byte lengths
    assert label_count(labels_bytes(pairs)) == labels


def test_a_series_over_the_label_limit_is_reported_by_its_metric_and_not_sent() -> None:
    # job and instance make 2, __name__ 1: two attributes make 5, three make 6
    encoder = MetricsEncoder(LIMITED)
    for t in range(2):  # new series, then the fast path
        md = data(
            gauge("narrow", number(1, _wide(2), t=T1 + t)),
            gauge("wide", number(2, _wide(3), t=T1 + t)),
        )
        requests, report = _export(encoder, md)
        names = [dict(labels)["__name__"] for labels in merged(requests)]
        assert names == ["narrow"]
        assert report.dropped == [
            Dropped("wide", "a series of it has 6 labels, more than the 5 allowed")
        ]


def test_a_histograms_le_label_counts_too() -> None:
    encoder = MetricsEncoder(LIMITED)
    md = data(histogram("h", hist_point([1], [1, 1], 2.0, _wide(2))))
    requests, report = _export(encoder, md)
    assert merged(requests) == {}
    assert report.dropped == [Dropped("h", "a series of it has 6 labels, more than the 5 allowed")]


def test_no_limit_by_default() -> None:
    md = data(gauge("wide", number(2, _wide(80))))
    requests, report = _export(MetricsEncoder(TranslationSettings()), md)
    assert report.dropped == [] and len(merged(requests)) == 2  # and target_info


@pytest.mark.parametrize(
    ("description", "limit", "kept"),
    [
        ("x" * 2000, 1024, "x" * 1024),
        ("é" * 600, 1024, "é" * 512),  # two bytes each
        ("ab€", 4, "ab"),  # never half a character
        ("short", 1024, "short"),
        ("x" * 5000, 0, "x" * 5000),
    ],
)
def test_help_text_is_cut_to_the_byte_limit(description: str, limit: int, kept: str) -> None:
    settings = TranslationSettings(send_metadata=True, max_help_bytes=limit, target_info=False)
    metric = counter("c", number(1))
    metric = type(metric)(metric.name, description, metric.unit, metric.data)
    requests, _ = _export(MetricsEncoder(settings), data(metric))
    (metadata,) = [m for r in requests for m in decode(r).metadata]
    assert metadata.help == kept
