"""1.0 requests as Remote Write 2.0 requests: every string once in the request's symbol
table, and series that refer to it.

The encoder writes 2.0 exports as it writes 1.0 ones, with one difference: samples and
histograms of counters carry their start timestamp (field 3 of a sample, 17 of a histogram,
the numbers 2.0 gives them). Each request is then rewritten here. A 2.0 sample and histogram
have the same fields as the 1.0 ones, so their bytes are copied over (a histogram only gets
its 2.0 field number); labels and exemplar labels become references into the symbol table,
and each series gets its metric's metadata.

A series' label strings (and its metadata) are kept by its encoded labels, in an LRU, so a
series seen before costs a lookup and one reference per string. A request is rewritten as
a whole, and one that would come out over the size limit is cut in two and each half
rewritten: every request carries its own symbol table and stays under the limit.
"""

from __future__ import annotations

from collections.abc import Callable

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


def _label_strings(block: bytes) -> list[bytes]:
    """Name, value, name, value, ... of the 1.0 `Label` entries in `block`."""
    strings: list[bytes] = []
    pos, end = 0, len(block)
    while pos < end:
        length, pos = read_varint(block, pos + 1)  # past the entry's tag
        label_end = pos + length
        name = value = b""
        while pos < label_end:  # Label{name = 1, value = 2}; an empty one is left out
            field = block[pos]
            size, pos = read_varint(block, pos + 1)
            if field == 0x0A:
                name = block[pos : pos + size]
            else:
                value = block[pos : pos + size]
            pos += size
        strings += (name, value)
    return strings


class Upgrader:
    """Rewrites 1.0 requests as 2.0 ones. `metadata(name)` gives the metadata of the series
    named `name`, or None. Not thread-safe: the exporter calls it from one export at a time.
    """

    def __init__(
        self,
        metadata: Callable[[str], Metadata | None],
        limit: int,
        max_cached: int = 32768,
    ) -> None:
        self._metadata = metadata
        self._limit = limit
        self._series: LRU[bytes, tuple[list[bytes], Metadata]] = LRU(max_cached)

    def upgrade(self, request: EncodedRequest) -> list[EncodedRequest]:
        """The 2.0 requests carrying `request`'s series, in order; metadata-only 1.0
        requests (no series) have no 2.0 form: each series carries its own."""
        if request.message != V1_MESSAGE:
            return [request]
        if not request.series:
            return []
        raw = bytes(cramjam.snappy.decompress_raw(request.payload))
        body, counts = self._rewrite(raw)
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

    def _rewrite(self, raw: bytes) -> tuple[bytes, tuple[int, int, int, int]]:
        symbols: dict[bytes, int] = {b"": 0}
        entries: list[bytes] = []
        series = samples = histograms = exemplars = 0
        pos, end = 0, len(raw)
        while pos < end:
            tag = raw[pos]
            length, pos = read_varint(raw, pos + 1)
            entry_end = pos + length
            if tag == 0x0A:  # WriteRequest.timeseries; metadata (field 3) has no 2.0 place
                entry, counts = self._series_entry(raw, pos, entry_end, symbols)
                entries.append(entry)
                series += 1
                samples += counts[0]
                histograms += counts[1]
                exemplars += counts[2]
            pos = entry_end
        table = [length_prefixed(_SYMBOLS, symbol) for symbol in symbols]
        return b"".join([*table, *entries]), (series, samples, histograms, exemplars)

    def _series_entry(
        self, raw: bytes, pos: int, end: int, symbols: dict[bytes, int]
    ) -> tuple[bytes, tuple[int, int, int]]:
        start = pos
        while pos < end and raw[pos] == _LABEL:
            length, pos = read_varint(raw, pos + 1)
            pos += length
        block = raw[start:pos]
        known = self._series.get(block)
        if known is None:
            strings = _label_strings(block)
            name = dict(zip(strings[::2], strings[1::2], strict=True)).get(_NAME, b"")
            meta = self._metadata(name.decode("utf-8", "replace")) or _NO_METADATA
            known = (strings, meta)
            self._series.put(block, known)
        strings, meta = known
        parts = [_refs(b"\x0a", strings, symbols)]
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
                parts.append(_exemplar(raw, body, field_end, symbols))
                exemplars += 1
            pos = field_end
        kind, help_text, unit = meta
        metadata = b"\x08" + varint(kind)
        if help_text:
            metadata += b"\x18" + varint(_ref(help_text, symbols))
        if unit:
            metadata += b"\x20" + varint(_ref(unit, symbols))
        parts.append(length_prefixed(b"\x2a", metadata))
        return length_prefixed(_TIMESERIES, b"".join(parts)), (samples, histograms, exemplars)


def _ref(symbol: bytes, symbols: dict[bytes, int]) -> int:
    ref = symbols.get(symbol)
    if ref is None:
        ref = symbols[symbol] = len(symbols)
    return ref


def _refs(tag: bytes, strings: list[bytes], symbols: dict[bytes, int]) -> bytes:
    """`strings` as a packed `labels_refs` field (`tag`), adding new ones to the table."""
    get = symbols.get
    refs = []
    for symbol in strings:
        ref = get(symbol)
        if ref is None:
            ref = symbols[symbol] = len(symbols)
        refs.append(varint(ref))
    return length_prefixed(tag, b"".join(refs))


def _exemplar(raw: bytes, pos: int, end: int, symbols: dict[bytes, int]) -> bytes:
    """A 1.0 exemplar (labels, value, timestamp) as a 2.0 one (label references first)."""
    start = pos
    while pos < end and raw[pos] == _LABEL:
        length, pos = read_varint(raw, pos + 1)
        pos += length
    refs = _refs(b"\x0a", _label_strings(raw[start:pos]), symbols)
    return length_prefixed(b"\x22", refs + raw[pos:end])
