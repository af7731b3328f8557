"""The I/O edge: the sharded queue, the sender that posts each request, the retry policy
that judges each answer, and the counters they share."""

from __future__ import annotations

from upstream_prw.send.queue import ShardedQueue
from upstream_prw.send.retry import RetryPolicy
from upstream_prw.send.sender import Sender, SendOutcome
from upstream_prw.send.session import settle_environment
from upstream_prw.send.stats import Stats, StatsSnapshot

__all__ = [
    "RetryPolicy",
    "SendOutcome",
    "Sender",
    "ShardedQueue",
    "Stats",
    "StatsSnapshot",
    "settle_environment",
]
