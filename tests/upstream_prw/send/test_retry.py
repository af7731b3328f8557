"""RetryPolicy: which outcomes are retried, and how long to wait between attempts."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upstream_prw.config import RetrySettings
from upstream_prw.errors import ConfigError, RetryableSendError
from upstream_prw.send.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

_POLICY = RetryPolicy()


@pytest.mark.parametrize("status", [200, 202, 204, 299])
def test_2xx_is_success(status: int) -> None:
    assert _POLICY.classify(status, None) == "success"


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 599])
def test_429_and_5xx_are_retried(status: int) -> None:
    assert _POLICY.classify(status, None) == "retry"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 415, 422, 499, 100, 301, 307])
def test_other_statuses_are_permanent(status: int) -> None:
    assert _POLICY.classify(status, None) == "permanent"


def test_retryable_set_is_exactly_429_and_5xx() -> None:
    assert frozenset(range(100, 600)) & RETRYABLE_STATUSES == {429, *range(500, 600)}


class _MalformedURLError(ValueError):
    pass


def test_exceptions_are_retried_unless_declared_permanent() -> None:
    policy = RetryPolicy.from_settings(RetrySettings(), permanent_errors=(_MalformedURLError,))
    assert policy.classify(None, ConnectionError("refused")) == "retry"
    assert policy.classify(None, TimeoutError()) == "retry"
    assert policy.classify(None, RuntimeError("auth hook could not sign")) == "retry"
    assert policy.classify(None, RetryableSendError("x")) == "retry"
    assert policy.classify(None, _MalformedURLError("no scheme")) == "permanent"


def test_classify_needs_something_to_judge() -> None:
    with pytest.raises(ValueError, match="status or an exception"):
        _POLICY.classify(None, None)


def test_backoff_without_jitter_grows_and_caps() -> None:
    policy = RetryPolicy(
        initial_interval=0.05, multiplier=1.5, max_interval=0.2, randomization_factor=0
    )
    rng = random.Random(0)
    waits = [policy.backoff(n, rng) for n in range(1, 7)]
    assert waits == pytest.approx([0.05, 0.075, 0.1125, 0.16875, 0.2, 0.2])


def test_backoff_survives_a_very_long_outage() -> None:
    policy = RetryPolicy(max_interval=30.0, randomization_factor=0)
    assert policy.backoff(100_000, random.Random(0)) == 30.0


@given(
    attempt=st.integers(1, 200),
    factor=st.floats(0, 1),
    multiplier=st.floats(1, 5),
    seed=st.integers(0, 2**32),
)
def test_backoff_stays_within_the_jitter_band(
    attempt: int, factor: float, multiplier: float, seed: int
) -> None:
    policy = RetryPolicy(
        initial_interval=0.05, max_interval=30.0, multiplier=multiplier, randomization_factor=factor
    )
    interval = min(30.0, 0.05 * multiplier ** min(attempt - 1, 1000)) if multiplier > 1 else 0.05
    wait = policy.backoff(attempt, random.Random(seed))
    assert interval * (1 - factor) - 1e-9 <= wait <= interval * (1 + factor) + 1e-9


def test_backoff_counts_attempts_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        _POLICY.backoff(0, random.Random(0))


def test_retry_after_wins_when_longer() -> None:
    policy = RetryPolicy(initial_interval=0.05, randomization_factor=0)
    rng = random.Random(0)
    assert policy.next_delay(1, 0.0, rng, retry_after=2.0) == 2.0
    assert policy.next_delay(1, 0.0, rng, retry_after=0.01) == 0.05
    assert policy.next_delay(1, 0.0, rng) == 0.05


def test_gives_up_instead_of_sleeping_past_the_deadline() -> None:
    policy = RetryPolicy(
        initial_interval=1.0, max_interval=1.0, max_elapsed_time=10.0, randomization_factor=0
    )
    rng = random.Random(0)
    assert policy.next_delay(3, 9.0, rng) == 1.0
    assert policy.next_delay(3, 9.5, rng) is None
    assert policy.next_delay(1, 0.0, rng, retry_after=30.0) is None


def test_zero_max_elapsed_time_never_gives_up() -> None:
    policy = RetryPolicy(max_elapsed_time=0, randomization_factor=0)
    assert policy.next_delay(50, 1e9, random.Random(0), retry_after=3600.0) == 3600.0


def test_disabled_policy_never_retries() -> None:
    policy = RetryPolicy.from_settings(RetrySettings(enabled=False))
    assert policy.next_delay(1, 0.0, random.Random(0)) is None
    assert policy.classify(503, None) == "retry"  # still a transient failure, just not retried


def test_policy_is_validated_like_its_settings() -> None:
    with pytest.raises(ConfigError, match=r"^randomization_factor: must be at most 1"):
        RetryPolicy(randomization_factor=2.0)


_NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1", 1.0),
        ("120", 120.0),
        (" 3 ", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-5", 0.0),
        (format_datetime(datetime.fromtimestamp(_NOW + 30, timezone.utc), usegmt=True), 30.0),
        (format_datetime(datetime.fromtimestamp(_NOW - 30, timezone.utc), usegmt=True), 0.0),
        ("Tue, 14 Nov 2023 22:14:20 -0000", 60.0),  # -0000: UTC
    ],
)
def test_parse_retry_after(value: str, seconds: float) -> None:
    assert parse_retry_after(value, _NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "soon", "1e3", "Tue, 99 Foo 2023", "0x10", "1,5"])
def test_unparseable_retry_after_is_none(value: str) -> None:
    assert parse_retry_after(value, _NOW) is None
