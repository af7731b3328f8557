"""The straightforward encoding: Series → generated protobuf classes → bytes.

Slow, but obviously right; it is the oracle the fast encoder is tested against, and what
tools use to show a request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.upstream_prw.reference.translation import Metadata
from upstream_prw.proto import remote_pb2
from upstream_prw.translate.model import Series
from upstream_prw.translate.native import NativeHistogram

__all__ = ["fill_histogram", "write_request"]


def fill_histogram(message: Any, h: NativeHistogram, start_ms: int = 0) -> None:
    """A `Histogram` message of either version (their fields 1-16 are the same) from `h`;
    `start_ms` only in 2.0's."""
    message.count_int = h.count
    message.sum = h.sum
    message.schema = h.schema
    message.zero_threshold = h.zero_threshold
    message.zero_count_int = h.zero_count
    message.negative_deltas.extend(h.negative_deltas)
    message.positive_deltas.extend(h.positive_deltas)
    message.reset_hint = h.reset_hint
    message.timestamp = h.timestamp_ms
    message.custom_values.extend(h.custom_values)
    for offset, length in h.negative_spans:
        message.negative_spans.add(offset=offset, length=length)
    for offset, length in h.positive_spans:
        message.positive_spans.add(offset=offset, length=length)
    if start_ms:
        message.start_timestamp = start_ms


def write_request(
    series: Iterable[Series], metadata: Iterable[Metadata] = ()
) -> remote_pb2.WriteRequest:
    request = remote_pb2.WriteRequest()
    for s in series:
        ts = request.timeseries.add()
        for name, value in s.labels:
            ts.labels.add(name=name, value=value)
        for sample, timestamp in s.samples:
            ts.samples.add(value=sample, timestamp=timestamp)
        for e in s.exemplars:
            ex = ts.exemplars.add(value=e.value, timestamp=e.timestamp_ms)
            for name, value in e.labels:
                ex.labels.add(name=name, value=value)
        for h in s.histograms:
            fill_histogram(ts.histograms.add(), h)
    for metric_type, family, help_text, unit in metadata:
        request.metadata.add(
            type=metric_type,
            metric_family_name=family,
            help=help_text,
            unit=unit,
        )
    return request
