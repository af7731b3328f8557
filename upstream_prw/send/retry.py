"""When to retry a remote-write request and how long to wait: pure decisions, no sleeping.

The sender owns the loop and the clock; this module only answers "success, retry or give up?"
and "wait how long?", so every rule is testable with plain numbers.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Literal

from upstream_prw.config.blocks import RetrySettings

__all__ = ["MAX_RETRY_AFTER", "RETRYABLE_STATUSES", "Decision", "RetryPolicy", "parse_retry_after"]

Decision = Literal["success", "retry", "permanent"]

RETRYABLE_STATUSES = frozenset({429, *range(500, 600)})
"""Statuses worth sending the same request again for: 429 and every 5xx (spec: MUST retry 5xx).

Every other non-2xx status is permanent: 4xx means the request itself is wrong, and 1xx/3xx
mean the endpoint is misconfigured (a redirect would turn the POST into a GET)."""

MAX_RETRY_AFTER = 3600.0
"""The longest a `Retry-After` is waited: any longer wait is cut to this, so no value, however
large, can overflow a timer or park a shard for days."""

_DELTA_SECONDS = re.compile(r"[+-]?\d+(?:\.\d+)?")


def parse_retry_after(value: str, now: float) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date; `now` is epoch
    seconds). A time in the past gives 0; anything unparseable gives None."""
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return min(max(0.0, float(text)), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no claim about the local zone
        when = when.replace(tzinfo=timezone.utc)
    return min(max(0.0, when.timestamp() - now), MAX_RETRY_AFTER)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff with jitter, as the Collector's (cenkalti) backoff computes it.

    `max_elapsed_time` 0 means never give up. `permanent_errors` are exception types that
    cannot succeed on retry (the sender adds requests' malformed-URL errors); any other
    exception raised before a response exists, an auth hook's included, is retryable.
    """

    enabled: bool = True
    initial_interval: float = 0.05
    max_interval: float = 30.0
    max_elapsed_time: float = 300.0
    multiplier: float = 1.5
    randomization_factor: float = 0.5
    permanent_errors: tuple[type[BaseException], ...] = ()

    def __post_init__(self) -> None:
        # Same rules as the config block, so a policy built by hand is checked too.
        RetrySettings(
            enabled=self.enabled,
            initial_interval=self.initial_interval,
            max_interval=self.max_interval,
            max_elapsed_time=self.max_elapsed_time,
            multiplier=self.multiplier,
            randomization_factor=self.randomization_factor,
        )

    @classmethod
    def from_settings(
        cls,
        settings: RetrySettings,
        *,
        permanent_errors: tuple[type[BaseException], ...] = (),
    ) -> RetryPolicy:
        return cls(
            enabled=settings.enabled,
            initial_interval=settings.initial_interval,
            max_interval=settings.max_interval,
            max_elapsed_time=settings.max_elapsed_time,
            multiplier=settings.multiplier,
            randomization_factor=settings.randomization_factor,
            permanent_errors=permanent_errors,
        )

    def classify(self, status: int | None, exc: BaseException | None) -> Decision:
        """Judge one attempt by its exception (no response) or its HTTP status."""
        if exc is not None:
            return "permanent" if isinstance(exc, self.permanent_errors) else "retry"
        if status is None:
            raise ValueError("classify() needs a status or an exception")
        if 200 <= status < 300:
            return "success"
        return "retry" if status in RETRYABLE_STATUSES else "permanent"

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The jittered wait after failed attempt number `attempt` (1 for the first)."""
        if attempt < 1:
            raise ValueError(f"attempt counts from 1, got {attempt}")
        interval = self._interval(attempt - 1)
        spread = interval * self.randomization_factor
        return rng.uniform(interval - spread, interval + spread)

    def _interval(self, exponent: int) -> float:
        # Compare in log space so a long outage cannot overflow multiplier ** exponent.
        if self.multiplier > 1 and exponent * math.log(self.multiplier) >= math.log(
            self.max_interval / self.initial_interval
        ):
            return self.max_interval
        return min(self.initial_interval * self.multiplier**exponent, self.max_interval)

    def next_delay(
        self,
        attempt: int,
        elapsed: float,
        rng: random.Random,
        retry_after: float | None = None,
    ) -> float | None:
        """How long to wait before attempt `attempt + 1`, or None to give up.

        The wait is the larger of the backoff and the server's Retry-After. Rather than
        sleeping past `max_elapsed_time` (counted from the first attempt), give up now.
        """
        if not self.enabled:
            return None
        delay = self.backoff(attempt, rng)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if self.max_elapsed_time > 0 and elapsed + delay > self.max_elapsed_time:
            return None
        return delay
