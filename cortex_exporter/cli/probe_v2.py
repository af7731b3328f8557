"""The Remote Write 2.0 question `check` asks once the 1.0 probe was taken.

The same gauge sample, a millisecond later, as an `io.prometheus.write.v2.Request`, posted
once (no retry, no fallback) through the same session, so an AMP endpoint sees it signed.
The answer is read as the exporter's negotiation reads it: only a 2xx with the
`X-Prometheus-Remote-Write-*-Written` headers means 2.0 was understood.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import cramjam
import requests
from requests.adapters import HTTPAdapter

from cortex_exporter.cli.output import Report
from upstream_prw import RemoteWriteSettings
from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.proto import remote_pb2, remote_v2_pb2
from upstream_prw.send.negotiation import turned_down
from upstream_prw.send.transport import Answer, Transport

__all__ = ["ACCEPTS_V2", "ONLY_V1", "V2Verdict", "judge_v2", "probe_v2", "v2_probe_request"]

ACCEPTS_V2 = f"accepts Remote Write 2.0: set protobuf_message: {V2_MESSAGE}"
ONLY_V1 = f"Remote Write 1.0 only: keep protobuf_message: {V1_MESSAGE}"


@dataclass(frozen=True, slots=True)
class V2Verdict:
    """What the answer to the 2.0 probe says: `accepts` is None when it says nothing about
    the protocol (a 5xx, a 403, no answer)."""

    accepts: bool | None
    answer: str


def v2_probe_request(probe: EncodedRequest) -> EncodedRequest:
    """The 1.0 probe's one sample, 1 ms later, as a 2.0 request of one gauge."""
    v1 = remote_pb2.WriteRequest.FromString(bytes(cramjam.snappy.decompress_raw(probe.payload)))
    (series,) = v1.timeseries
    (sample,) = series.samples
    symbols = [""]
    refs: list[int] = []
    for label in sorted(series.labels, key=lambda label: label.name):
        for text in (label.name, label.value):
            if text not in symbols:
                symbols.append(text)
            refs.append(symbols.index(text))
    message = remote_v2_pb2.Request(symbols=symbols)
    ts = message.timeseries.add(labels_refs=refs)
    ts.samples.add(value=sample.value, timestamp=sample.timestamp + 1)
    ts.metadata.type = remote_v2_pb2.Metadata.METRIC_TYPE_GAUGE
    raw = message.SerializeToString()
    payload = bytes(cramjam.snappy.compress_raw(raw))
    return EncodedRequest(0, payload, len(raw), 1, 1, V2_MESSAGE)


def judge_v2(answer: Answer) -> V2Verdict:
    """2.0 or 1.0 only, by the answer to a 2.0 request, with the answer in words."""
    if answer.exc is not None:
        return V2Verdict(None, f"{type(answer.exc).__name__}: {answer.exc}")
    said = f"HTTP {answer.status} {answer.reason}".rstrip()
    refusal = turned_down(answer.status, answer.written, answer.reason, answer.body)
    if refusal:
        return V2Verdict(False, refusal)
    status = answer.status or 0
    if 200 <= status < 300 and answer.written is not None:
        counts = answer.written
        return V2Verdict(
            True,
            f"{said}; written: {counts.samples} samples, {counts.histograms} histograms, "
            f"{counts.exemplars} exemplars",
        )
    return V2Verdict(None, f"{said}: {answer.body}" if answer.body else said)


def probe_v2(
    report: Report, settings: RemoteWriteSettings, session: requests.Session, probe: EncodedRequest
) -> V2Verdict:
    """Send the 2.0 probe once and report the verdict (it never changes check's result)."""
    request = v2_probe_request(probe)
    for prefix in ("http://", "https://"):  # a plain adapter, not the 1.0 probe's recorder
        session.mount(prefix, HTTPAdapter())
    once = replace(settings, protobuf_message=V2_MESSAGE)
    answer = Transport(once, session).attempt(request, time.monotonic() + settings.timeout)
    verdict = judge_v2(answer)
    report.line("2.0 probe", f"the same sample as {V2_MESSAGE} ({len(request.payload)} bytes)")
    report.line("2.0 answer", verdict.answer)
    if verdict.accepts is None:
        meaning = "the answer does not tell whether Remote Write 2.0 is accepted"
    else:
        meaning = ACCEPTS_V2 if verdict.accepts else ONLY_V1
    report.line("2.0 meaning", meaning)
    return verdict
