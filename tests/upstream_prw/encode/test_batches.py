"""Requests compressed block by block are the bytes of compressing them whole."""

from __future__ import annotations

import cramjam
from hypothesis import given, settings
from hypothesis import strategies as st

from upstream_prw.encode.batches import SNAPPY_BLOCK, EncodedRequest, Shards
from upstream_prw.encode.encoder import EncodeReport

# Entries up to a few blocks long, often repetitive (as labels are), sometimes not.
entries = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.one_of(
            st.binary(min_size=1, max_size=300),
            st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=40), st.integers(1, 9000)),
        ),
    ),
    max_size=120,
)


def _run(
    items: list[tuple[int, bytes]], limit: int
) -> tuple[list[EncodedRequest], list[list[bytes]]]:
    """Feed entries to three shards; also return what each request should contain."""
    sent: list[EncodedRequest] = []
    expected: list[list[bytes]] = []
    pending: dict[int, list[bytes]] = {0: [], 1: [], 2: []}

    def emit(request: EncodedRequest) -> None:
        sent.append(request)
        expected.append(pending[request.shard])
        pending[request.shard] = []

    shards = Shards(3, limit, emit, EncodeReport())
    for shard, entry in items:
        # An entry that would take a non-empty request over the limit starts a new one.
        if shards.counts[shard] and shards.sizes[shard] + len(entry) > limit:
            shards.flush(shard)
        pending[shard].append(entry)
        shards.add(shard, len(entry), 1, (entry,))
    shards.flush_all()
    return sent, expected


@settings(max_examples=200, deadline=None)
@given(items=entries, limit=st.sampled_from([100, 5_000, 70_000, 3_000_000]))
def test_each_request_is_its_entries_compressed_whole(
    items: list[tuple[int, bytes]], limit: int
) -> None:
    sent, expected = _run(items, limit)
    assert sum(r.series for r in sent) == len(items)
    for request, contents in zip(sent, expected, strict=True):
        raw = b"".join(contents)
        assert request.raw_size == len(raw) and request.series == len(contents)
        assert request.payload == bytes(cramjam.snappy.compress_raw(raw))
        assert request.raw_size <= limit or request.series == 1


def test_a_large_request_is_compressed_in_many_blocks_and_decodes() -> None:
    entry = bytes(range(256)) * 40  # 10 KiB
    sent, expected = _run([(1, entry)] * 250, 3_000_000)
    (request,) = sent
    assert request.raw_size == 250 * len(entry) > 30 * SNAPPY_BLOCK
    assert bytes(cramjam.snappy.decompress_raw(request.payload)) == b"".join(expected[0])


def test_nothing_is_sent_for_an_empty_shard() -> None:
    sent, _ = _run([(2, b"x")], 100)
    assert [(r.shard, r.series) for r in sent] == [(2, 1)]
