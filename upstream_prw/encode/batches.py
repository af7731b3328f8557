"""Per-shard request buffers: encoded entries in, bounded compressed requests out.

Snappy compresses its input as independent 64 KiB blocks under one length header. So whole
blocks are compressed as soon as they fill and only their compressed bytes are kept: a
request never exists uncompressed in one piece (a few hundred KiB per shard at most, instead
of `max_batch_size_bytes`), no call into the compressor runs long, and the bytes sent are
exactly those of compressing the whole request at once.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import cramjam

from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE
from upstream_prw.encode.wire import varint

__all__ = [
    "SNAPPY_BLOCK",
    "V1_MESSAGE",
    "V2_MESSAGE",
    "EncodedRequest",
    "Shards",
    "emit_metadata",
]

SNAPPY_BLOCK = 1 << 16  # the unit snappy compresses independently
_GATHER = 4 * SNAPPY_BLOCK  # raw bytes gathered before compressing


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    """A snappy-compressed request ready to POST: a 1.0 WriteRequest or a 2.0 Request.

    Every series of a request hashes to `shard`, so one consumer per shard keeps the
    samples of each series in timestamp order, retries included. `samples` counts float
    samples (1.0: every series entry); `histograms` and `exemplars` are counted for 2.0
    requests, whose receivers say how many of each they wrote.
    """

    shard: int
    payload: bytes
    raw_size: int
    series: int
    samples: int
    message: str = V1_MESSAGE
    histograms: int = 0
    exemplars: int = 0


class _Counts(Protocol):
    requests: int
    series: int


class Shards:
    """One growing request per shard, cut below the size limit.

    Writers append a series' parts to `parts[shard]` and add to `sizes[shard]` and
    `counts[shard]`; before that, when `sizes[shard] + size > bounds[shard]`, they call
    `make_room(shard, size)`, which sends the request if the entry would overflow it, or
    compresses what has gathered. `add` does all of that for the paths that are not hot.
    """

    def __init__(
        self,
        num_shards: int,
        limit: int,
        emit: Callable[[EncodedRequest], None],
        report: _Counts,
    ) -> None:
        self.parts: list[list[bytes]] = [[] for _ in range(num_shards)]
        self.sizes = [0] * num_shards  # raw bytes of each shard's request so far
        self.counts = [0] * num_shards  # series in it
        self.limit = limit
        self.bounds = [min(_GATHER, limit)] * num_shards
        self.emit = emit
        self.report = report
        self._tails = [b""] * num_shards  # raw bytes short of a whole block, not compressed yet
        self._blocks: list[list[bytes]] = [[] for _ in range(num_shards)]
        self._scratch = io.BytesIO()  # reused: fresh pages are costly to touch

    def add(self, shard: int, size: int, series: int, parts: Iterable[bytes]) -> None:
        if self.sizes[shard] + size > self.bounds[shard]:
            self.make_room(shard, size)
        self.parts[shard] += parts
        self.sizes[shard] += size
        self.counts[shard] += series

    def make_room(self, shard: int, size: int) -> None:
        """Before an entry of `size` bytes: send the request if the entry would take it over
        the limit (unless it is empty: an entry alone may exceed it); else compress."""
        if self.sizes[shard] + size > self.limit:
            self.flush(shard)
        else:
            self._compress(shard, final=False)
        self.bounds[shard] = min(self.sizes[shard] + _GATHER, self.limit)

    def flush(self, shard: int) -> None:
        """Send what the shard holds as one request (nothing if it holds nothing)."""
        count = self.counts[shard]
        if not count:
            return
        self._compress(shard, final=True)
        size = self.sizes[shard]
        payload = b"".join([varint(size), *self._blocks[shard]])
        self._blocks[shard] = []
        self.sizes[shard] = self.counts[shard] = 0
        self.bounds[shard] = min(_GATHER, self.limit)
        self.report.requests += 1
        self.report.series += count
        self.emit(EncodedRequest(shard, payload, size, count, count))

    def flush_all(self) -> None:
        for shard in range(len(self.parts)):
            self.flush(shard)

    def _compress(self, shard: int, *, final: bool) -> None:
        """Compress the shard's whole blocks (all it has, if `final`); keep the rest raw."""
        scratch = self._scratch
        scratch.seek(0)
        scratch.write(self._tails[shard])
        scratch.writelines(self.parts[shard])
        self.parts[shard] = []
        end = scratch.tell()
        whole = end if final else end - end % SNAPPY_BLOCK
        with scratch.getbuffer() as view:
            if whole:
                with view[:whole] as raw:
                    block = cramjam.snappy.compress_raw(raw)  # releases the GIL meanwhile
                self._blocks[shard].append(_without_length(block))
            self._tails[shard] = bytes(view[whole:end])


def _without_length(block: object) -> bytes:
    """The compressed elements of a snappy block, without its leading length varint."""
    with memoryview(block) as view:  # type: ignore[arg-type]
        start = 0
        while view[start] & 0x80:
            start += 1
        return bytes(view[start + 1 :])


def emit_metadata(
    entries: list[bytes], limit: int, emit: Callable[[EncodedRequest], None], report: _Counts
) -> None:
    """Metadata entries in requests of their own, as Prometheus sends them, each cut below
    `limit` bytes (unless one entry alone is over it)."""
    batch: list[bytes] = []
    size = 0
    for entry in [*entries, b""]:
        if batch and (not entry or size + len(entry) > limit):
            raw = b"".join(batch)
            payload = bytes(cramjam.snappy.compress_raw(raw))
            emit(EncodedRequest(0, payload, len(raw), 0, 0))
            report.requests += 1
            batch, size = [], 0
        if entry:
            batch.append(entry)
            size += len(entry)
