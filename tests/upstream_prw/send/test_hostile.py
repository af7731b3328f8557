"""Every attempt is bounded in time and memory, whatever the backend sends back.

Bounds are three times what is expected, so that a slow moment does not fail them.
"""

from __future__ import annotations

import logging
import threading
import time
import tracemalloc
from typing import Any

import pytest
import requests

from tests.upstream_prw.hostile import HostileServer, refused_url
from tests.upstream_prw.payloads import encoded_request
from tests.upstream_prw.receiver import Receiver, Step
from upstream_prw.config import RemoteWriteSettings
from upstream_prw.send import Sender, SendOutcome
from upstream_prw.send.response import ERROR_BODY_BYTES, loggable
from upstream_prw.send.retry import MAX_RETRY_AFTER, parse_retry_after
from upstream_prw.send.watchdog import WatchedAdapter

_REQUEST = encoded_request([({"__name__": "up"}, [(1000, 1.0)])])
_TIMEOUT = 1.0


def _sender(url: str, session: requests.Session | None = None, **settings: Any) -> Sender:
    return Sender(
        RemoteWriteSettings.from_mapping(
            {"endpoint": url, "timeout": _TIMEOUT, "retry_on_failure": {"enabled": False}}
            | settings
        ),
        session,
    )


def _timed_send(sender: Sender, deadline: float | None = None) -> tuple[SendOutcome, float, int]:
    """The outcome, the seconds it took, and the bytes traced at the peak meanwhile."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        outcome = sender.send(_REQUEST, threading.Event(), deadline)
        took = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        sender.close()
    return outcome, took, peak


@pytest.mark.parametrize("behaviour", ["huge", "endless"])
def test_a_huge_or_endless_error_body_costs_at_most_64_kib_and_no_time(behaviour: str) -> None:
    with HostileServer(behaviour) as server:
        outcome, took, peak = _timed_send(_sender(server.url))
    assert (outcome.delivered, outcome.status) == (False, 500)
    assert outcome.error is not None and outcome.error.startswith("HTTP 500: ")
    assert len(outcome.error) <= len("HTTP 500: ") + 256
    assert took < 3 * _TIMEOUT
    # The body kept is at most 64 KiB, read in 8 KiB chunks: a few hundred KiB at the peak
    # with the HTTP machinery; reading the whole answer would be 200 MB or without end.
    assert peak < 3 * 8 * ERROR_BODY_BYTES


def test_a_trickled_body_ends_the_attempt_at_the_timeout() -> None:
    with HostileServer("trickle") as server:
        outcome, took, _ = _timed_send(_sender(server.url))
    assert (outcome.delivered, outcome.status) == (False, 500)
    assert 0.9 * _TIMEOUT <= took < 3 * _TIMEOUT  # a byte every 0.1 s never ends by itself


def test_headers_dribbled_a_byte_at_a_time_end_the_attempt_at_the_timeout() -> None:
    """Each byte comes well within the socket timeout: only a deadline for the whole
    attempt ends it."""
    with HostileServer("dribble") as server:
        outcome, took, _ = _timed_send(_sender(server.url))
    assert not outcome.delivered and outcome.status is None
    assert outcome.error == f"ReadTimeout: no complete answer within {_TIMEOUT:g}s"
    assert 0.9 * _TIMEOUT <= took < 3 * _TIMEOUT


def test_a_session_given_by_the_caller_is_watched_through_its_plain_adapters() -> None:
    session = requests.Session()
    with HostileServer("dribble") as server:
        sender = Sender(
            RemoteWriteSettings.from_mapping(
                {
                    "endpoint": server.url,
                    "timeout": _TIMEOUT,
                    "retry_on_failure": {"enabled": False},
                }
            ),
            session,
        )
        outcome, took, _ = _timed_send(sender)
    assert not outcome.delivered and took < 3 * _TIMEOUT
    assert all(isinstance(a, WatchedAdapter) for a in session.adapters.values())


def test_an_answer_that_never_comes_ends_the_attempt_at_the_timeout() -> None:
    with HostileServer("silent") as server:
        outcome, took, _ = _timed_send(_sender(server.url))
    assert not outcome.delivered and outcome.status is None
    assert outcome.error is not None and "Timeout" in outcome.error
    assert 0.9 * _TIMEOUT <= took < 3 * _TIMEOUT


def test_the_callers_deadline_ends_retries_and_their_waits() -> None:
    with HostileServer("silent") as server:
        sender = _sender(server.url, timeout=30.0, retry_on_failure={"max_elapsed_time": 0})
        outcome, took, _ = _timed_send(sender, deadline=time.monotonic() + 0.5)
    assert not outcome.delivered
    assert took < 3 * 0.5


def test_a_refused_port_fails_at_once() -> None:
    outcome, took, _ = _timed_send(_sender(refused_url()))
    assert not outcome.delivered and outcome.error is not None
    assert outcome.error.startswith("ConnectionError")
    assert took < 3 * 0.1


def test_retry_after_of_any_size_never_raises(receiver: Receiver) -> None:
    for value in ("99999999999", "1" * 400, "Fri, 31 Dec 9999 23:59:59 GMT"):
        assert parse_retry_after(value, time.time()) == MAX_RETRY_AFTER
    receiver.script(Step(503, headers={"Retry-After": "99999999999"}))
    sender = _sender(receiver.url, retry_on_failure={"max_elapsed_time": 0})
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    outcome = sender.send(_REQUEST, stop)  # waits on the stop event: no OverflowError
    assert not outcome.delivered and outcome.status == 503


def test_backend_bodies_are_logged_on_one_line_with_control_characters_escaped(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    forged = "bad\nWARNING forged line\x1b[31m red\r\n" + "y" * 1000
    receiver.script(Step(400, body=forged))
    with caplog.at_level(logging.WARNING, logger="upstream_prw"):
        outcome = _sender(receiver.url).send(_REQUEST, threading.Event())
    (record,) = caplog.records
    message = record.getMessage()
    assert "\n" not in message and "\x1b" not in message and "\r" not in message
    assert "bad\\nWARNING forged line\\x1b[31m red\\r\\n" in message
    assert outcome.error is not None and len(outcome.error) == len("HTTP 400: ") + 256


def test_loggable_cuts_at_256_characters_and_escapes() -> None:
    assert loggable(b"  ok \xff\n") == "ok \ufffd"
    assert loggable(b"a\tb") == "a\\tb"
    assert len(loggable(b"\x00" * 1000)) == 256
