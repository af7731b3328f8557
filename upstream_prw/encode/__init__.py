"""OpenTelemetry metrics to compressed remote-write requests, cut by shard and by size.

`MetricsEncoder` is the entry: it walks an export with the translator's plans and writes
each point's series from cached, pre-encoded labels (see DESIGN.md, "How the encoder is
built"). Pure: no I/O, no clocks, no threads.
"""

from __future__ import annotations

from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.encoder import EncodeReport, MetricsEncoder

__all__ = ["EncodeReport", "EncodedRequest", "MetricsEncoder"]
