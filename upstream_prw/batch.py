"""The unit of sending: one compressed remote-write request bound to one shard."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EncodedRequest"]


@dataclass(frozen=True, slots=True)
class EncodedRequest:
    """A snappy-compressed WriteRequest ready to POST.

    Every series of a request hashes to `shard`, so one consumer per shard keeps the
    samples of each series in timestamp order, retries included.
    """

    shard: int
    payload: bytes
    raw_size: int
    series: int
    samples: int
