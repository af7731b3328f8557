"""The straightforward 2.0 encoding: a translation → generated `remote_v2_pb2` classes.

The oracle the 2.0 path (1.0 entries with start timestamps, rewritten by `Upgrader`) is
tested against, and the canonical form both are compared in: every reference resolved to
its string, series by their labels.
"""

from __future__ import annotations

import struct
from typing import Any

from tests.upstream_prw.reference.protobuf import fill_histogram
from tests.upstream_prw.reference.translation import Translation
from upstream_prw.proto import remote_v2_pb2 as v2

__all__ = ["canonical", "request_v2"]


def request_v2(translation: Translation) -> v2.Request:
    symbols: dict[str, int] = {"": 0}

    def ref(text: str) -> int:
        return symbols.setdefault(text, len(symbols))

    request = v2.Request()
    for s in translation.series:
        ts = request.timeseries.add()
        for name, value in s.labels:
            ts.labels_refs.extend([ref(name), ref(value)])
        starts = iter(translation.starts.get(s.labels, []))
        for sample, timestamp in s.samples:
            ts.samples.add(value=sample, timestamp=timestamp, start_timestamp=next(starts, 0))
        for h in s.histograms:
            fill_histogram(ts.histograms.add(), h, next(starts, 0))
        for e in s.exemplars:
            ex = ts.exemplars.add(value=e.value, timestamp=e.timestamp_ms)
            for name, value in e.labels:
                ex.labels_refs.extend([ref(name), ref(value)])
        kind, help_text, unit = translation.catalog.get(dict(s.labels)["__name__"], (0, "", ""))
        ts.metadata.type = kind  # type: ignore[assignment]
        ts.metadata.help_ref = ref(help_text) if help_text else 0
        ts.metadata.unit_ref = ref(unit) if unit else 0
    request.symbols.extend(symbols)
    return request


def _bits(value: float) -> int:
    return int(struct.unpack("<Q", struct.pack("<d", value))[0])


def canonical(requests: list[v2.Request]) -> dict[tuple[tuple[str, str], ...], Any]:
    """Each series by its labels: samples (value bits, time, start), histograms (their
    bytes), exemplars and metadata with every reference resolved."""
    out: dict[tuple[tuple[str, str], ...], Any] = {}
    for request in requests:
        symbols = list(request.symbols)
        for ts in request.timeseries:
            refs = list(ts.labels_refs)
            labels = tuple((symbols[refs[i]], symbols[refs[i + 1]]) for i in range(0, len(refs), 2))
            entry = out.setdefault(labels, {"samples": [], "histograms": [], "exemplars": []})
            entry["samples"] += [
                (_bits(s.value), s.timestamp, s.start_timestamp) for s in ts.samples
            ]
            entry["histograms"] += [h.SerializeToString(deterministic=True) for h in ts.histograms]
            for e in ts.exemplars:
                er = list(e.labels_refs)
                entry["exemplars"].append(
                    (
                        tuple((symbols[er[i]], symbols[er[i + 1]]) for i in range(0, len(er), 2)),
                        _bits(e.value),
                        e.timestamp,
                    )
                )
            meta = ts.metadata
            entry["metadata"] = (meta.type, symbols[meta.help_ref], symbols[meta.unit_ref])
    return out
