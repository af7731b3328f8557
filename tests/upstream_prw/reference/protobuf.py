"""The straightforward encoding: Series → generated protobuf classes → bytes.

Slow, but obviously right; it is the oracle the fast encoder is tested against, and what
tools use to show a request.
"""

from __future__ import annotations

from collections.abc import Iterable

from tests.upstream_prw.reference.translation import Metadata
from upstream_prw.proto import remote_pb2
from upstream_prw.translate.model import Series

__all__ = ["write_request"]


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
            ph = ts.histograms.add(
                count_int=h.count,
                sum=h.sum,
                schema=h.schema,
                zero_threshold=h.zero_threshold,
                zero_count_int=h.zero_count,
                negative_deltas=h.negative_deltas,
                positive_deltas=h.positive_deltas,
                reset_hint=h.reset_hint,
                timestamp=h.timestamp_ms,
            )
            for offset, length in h.negative_spans:
                ph.negative_spans.add(offset=offset, length=length)
            for offset, length in h.positive_spans:
                ph.positive_spans.add(offset=offset, length=length)
    for metric_type, family, help_text, unit in metadata:
        request.metadata.add(
            type=metric_type,
            metric_family_name=family,
            help=help_text,
            unit=unit,
        )
    return request
