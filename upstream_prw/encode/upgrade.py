"""1.0 requests as Remote Write 2.0 requests: every string once in the request's symbol
table, and series that refer to it.

The encoder writes 2.0 exports as it writes 1.0 ones, with one difference: samples and
histograms of counters carry their start timestamp (field 3 of a sample, 17 of a histogram,
the numbers 2.0 gives them). Each request is then rewritten here. A 2.0 sample and histogram
have the same fields as the 1.0 ones, so their bytes are copied over (a histogram only gets
its 2.0 field number); labels and exemplar labels become references into the symbol table,
and each series gets its metric's metadata.

A series' label strings, metadata and (per kept symbol table) references are cached by its
encoded labels. Every request carries its own symbol table and stays under the size limit.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import cramjam

from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.encode.lru import LRU
from upstream_prw.encode.split import split_request
from upstream_prw.encode.wire import length_prefixed, read_varint, varint

__all__ = ["Metadata", "Upgrader"]

Metadata = tuple[int, bytes, bytes]
"""A series' metadata: its 2.0 type, its help text and unit as UTF-8."""

_NO_METADATA: Metadata = (0, b"", b"")
_SYMBOLS = b"\x22"  # Request.symbols, field 4
_TIMESERIES = b"\x2a"  # Request.timeseries, field 5
_SAMPLE = 0x12  # TimeSeries.samples: field 2 in both versions
_EXEMPLAR_V1 = 0x1A  # field 3 in 1.0
_HISTOGRAM_V1 = 0x22  # field 4 in 1.0
_LABEL = 0x0A  # TimeSeries.labels (1.0), Exemplar.labels (1.0), Label.name
_NAME = b"__name__"
_VARINTS = tuple(varint(i) for i in range(16384))  # references, encoded ahead


def _label_strings(block: bytes) -> list[bytes]:
    """Name, value, name, value, ... of the 1.0 `Label` entries in `block` (an empty value
    is left out of its Label, and comes back as b""). Lengths under 128 are read inline."""
    strings: list[bytes] = []
    pos, end = 0, len(block)
    while pos < end:
        size = block[pos + 1]  # past the entry's tag
        if size < 0x80:
            pos += 2
        else:
            size, pos = read_varint(block, pos + 1)
        label_end = pos + size
        name = value = b""
        while pos < label_end:  # Label{name = 1, value = 2}
            field = block[pos]
            size = block[pos + 1]
            if size < 0x80:
                pos += 2
            else:
                size, pos = read_varint(block, pos + 1)
            if field == 0x0A:
                name = block[pos : pos + size]
            else:
                value = block[pos : pos + size]
            pos += size
        strings += (name, value)
    return strings


class _Table:
    """A symbol table kept from one export to the next for the requests at one place
    (shard, and which of its requests in the export): those are mostly the same series
    every time, so a series' references, cached with the table's version, hold again.
    Strings of series gone meanwhile stay in it until it is renewed."""

    __slots__ = ("encoded", "symbols", "uses", "version")

    def __init__(self, version: int) -> None:
        # Hands out the next reference to a string it has not seen: in C, by `map`, for
        # the dozens of strings each series has. "" comes first, as 2.0 asks.
        self.symbols: defaultdict[bytes, int] = defaultdict(itertools.count().__next__)
        self.symbols[b""]
        self.encoded = [length_prefixed(_SYMBOLS, b"")]
        self.version = version
        self.uses = 0

    def encoded_symbols(self) -> list[bytes]:
        """The `symbols` fields of the table, those added since the last call encoded now."""
        encoded = self.encoded
        for symbol in itertools.islice(self.symbols, len(encoded), None):
            encoded.append(length_prefixed(_SYMBOLS, symbol))
        return encoded


_TABLE_USES = 32  # a table is renewed after this many requests: what churned away goes
_TABLE_SYMBOLS = 1 << 16  # or once it holds this many strings
_TABLE_PLACES = 64  # requests of a shard in one export that get a kept table
_INTERNED = 1 << 17  # distinct label strings shared before the lot is let go

_Cached = list[Any]  # [strings, metadata, table version, its refs field, its metadata field]


class Upgrader:
    """Rewrites 1.0 requests as 2.0 ones. `metadata(name)` gives the metadata of the series
    named `name`, or None. Not thread-safe: the exporter calls it from one export at a time,
    and `start_export()` before each.
    """

    def __init__(
        self,
        metadata: Callable[[str], Metadata | None],
        limit: int,
        max_cached: int = 32768,
    ) -> None:
        self._metadata = metadata
        self._limit = limit
        self._series: LRU[bytes, _Cached] = LRU(max_cached)
        self._tables: dict[tuple[int, int], _Table] = {}
        self._places: dict[int, int] = {}  # requests of each shard so far in this export
        self._versions = itertools.count(1)
        self._strings: dict[bytes, bytes] = {}
        self._sample = 0  # the length of the last lone sample seen (see `_known`)

    def start_export(self) -> None:
        self._places.clear()

    def _interned(self, strings: list[bytes]) -> list[bytes]:
        """The same strings, each one object however many series hold it (`job` and its
        value are in every series): a cached series costs its list, not its strings."""
        known = self._strings
        if len(known) > _INTERNED:
            known.clear()
        return [known.setdefault(string, string) for string in strings]

    def _table(self, shard: int) -> _Table:
        place = self._places.get(shard, 0)
        self._places[shard] = place + 1
        key = (shard, place)
        table = self._tables.get(key)
        if table is None or table.uses >= _TABLE_USES or len(table.symbols) > _TABLE_SYMBOLS:
            table = _Table(next(self._versions))
            if place < _TABLE_PLACES:
                self._tables[key] = table
        table.uses += 1
        return table

    def upgrade(self, request: EncodedRequest) -> list[EncodedRequest]:
        """The 2.0 requests carrying `request`'s series, in order; metadata-only 1.0
        requests (no series) have no 2.0 form: each series carries its own."""
        if request.message != V1_MESSAGE:
            return [request]
        if not request.series:
            return []
        raw = bytes(cramjam.snappy.decompress_raw(request.payload))
        table = self._table(request.shard)
        body, counts = self._rewrite(raw, table)
        if len(body) > self._limit and len(table.symbols) > 1 and table.uses > 1:
            table = _Table(next(self._versions))  # without what other series left in it
            body, counts = self._rewrite(raw, table)
        if len(body) > self._limit:
            halves = split_request(request)
            if halves is not None:
                return [*self.upgrade(halves[0]), *self.upgrade(halves[1])]
        return [
            EncodedRequest(
                shard=request.shard,
                payload=bytes(cramjam.snappy.compress_raw(body)),
                raw_size=len(body),
                series=counts[0],
                samples=counts[1],
                message=V2_MESSAGE,
                histograms=counts[2],
                exemplars=counts[3],
            )
        ]

    def _rewrite(self, raw: bytes, table: _Table) -> tuple[bytes, tuple[int, int, int, int]]:
        entries: list[bytes] = []
        series = samples = histograms = exemplars = 0
        pos, end = 0, len(raw)
        while pos < end:
            tag = raw[pos]
            length, pos = read_varint(raw, pos + 1)
            entry_end = pos + length
            if tag == 0x0A:  # WriteRequest.timeseries; metadata (field 3) has no 2.0 place
                entry, counts = self._series_entry(raw, pos, entry_end, table)
                entries.append(entry)
                series += 1
                samples += counts[0]
                histograms += counts[1]
                exemplars += counts[2]
            pos = entry_end
        symbols = table.encoded_symbols()
        return b"".join([*symbols, *entries]), (series, samples, histograms, exemplars)

    def _series_entry(
        self, raw: bytes, pos: int, end: int, table: _Table
    ) -> tuple[bytes, tuple[int, int, int]]:
        cached, pos = self._known(raw, pos, end)
        if cached[2] != table.version:
            symbols = table.symbols
            cached[2:] = [table.version, _refs(cached[0], symbols), _metadata(cached[1], symbols)]
        parts = [cached[3]]
        counts = (1, 0, 0)
        length, body = read_varint(raw, pos + 1) if pos < end else (0, pos)
        if pos < end and raw[pos] == _SAMPLE and body + length == end:
            parts.append(raw[pos:end])  # one sample and nothing else: the common case
            self._sample = length
        else:
            counts = _copy_fields(raw, pos, end, table.symbols, parts)
        parts.append(cached[4])
        return length_prefixed(_TIMESERIES, b"".join(parts)), counts

    def _known(self, raw: bytes, pos: int, end: int) -> tuple[_Cached, int]:
        """The cached entry of the series at `pos`, and where its labels end.

        Most series end with one sample as long as the last one's: if what comes before
        such a sample is a label block cached before (so one read whole once), that is
        the split, without reading the labels again. Else the labels are read."""
        split = end - self._sample - 2
        if split > pos and raw[split] == _SAMPLE and raw[split + 1] == self._sample:
            cached = self._series.get(raw[pos:split])
            if cached is not None:
                return cached, split
        start = pos
        while pos < end and raw[pos] == _LABEL:  # the labels; lengths of one byte inline
            size = raw[pos + 1]
            if size < 0x80:
                pos += 2 + size
            else:
                size, pos = read_varint(raw, pos + 1)
                pos += size
        block = raw[start:pos]
        cached = self._series.get(block)
        if cached is None:
            strings = self._interned(_label_strings(block))
            name = dict(zip(strings[::2], strings[1::2], strict=True)).get(_NAME, b"")
            meta = self._metadata(name.decode("utf-8", "replace")) or _NO_METADATA
            cached = [strings, meta, 0, b"", b""]
            self._series.put(block, cached)
        return cached, pos


def _copy_fields(
    raw: bytes, pos: int, end: int, table: defaultdict[bytes, int], parts: list[bytes]
) -> tuple[int, int, int]:
    """A series' samples, histograms and exemplars after its labels, in 2.0 form."""
    samples = histograms = exemplars = 0
    while pos < end:
        field = raw[pos]
        length, body = read_varint(raw, pos + 1)
        field_end = body + length
        if field == _SAMPLE:
            parts.append(raw[pos:field_end])
            samples += 1
        elif field == _HISTOGRAM_V1:
            parts.append(b"\x1a" + raw[pos + 1 : field_end])
            histograms += 1
        elif field == _EXEMPLAR_V1:
            parts.append(_exemplar(raw, body, field_end, table))
            exemplars += 1
        pos = field_end
    return samples, histograms, exemplars


def _metadata(meta: Metadata, table: defaultdict[bytes, int]) -> bytes:
    """A series' `metadata` field: its type, and references to its help and unit."""
    kind, help_text, unit = meta
    body = b"\x08" + varint(kind)
    if help_text:
        body += b"\x18" + varint(table[help_text])
    if unit:
        body += b"\x20" + varint(table[unit])
    return length_prefixed(b"\x2a", body)


def _refs(strings: list[bytes], table: defaultdict[bytes, int]) -> bytes:
    """`strings` as a packed `labels_refs` field (1), adding new ones to the table."""
    refs = list(map(table.__getitem__, strings))
    try:
        packed = b"".join(map(_VARINTS.__getitem__, refs))
    except IndexError:  # a reference past the precomputed ones
        packed = b"".join(map(varint, refs))
    return length_prefixed(b"\x0a", packed)


def _exemplar(raw: bytes, pos: int, end: int, table: defaultdict[bytes, int]) -> bytes:
    """A 1.0 exemplar (labels, value, timestamp) as a 2.0 one (label references first)."""
    start = pos
    while pos < end and raw[pos] == _LABEL:
        length, pos = read_varint(raw, pos + 1)
        pos += length
    refs = _refs(_label_strings(raw[start:pos]), table)
    return length_prefixed(b"\x22", refs + raw[pos:end])
