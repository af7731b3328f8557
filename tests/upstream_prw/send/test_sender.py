"""Sender against a local fault-injecting receiver: retries, give-up, auth, headers, logs."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.upstream_prw.payloads import encoded_request
from tests.upstream_prw.receiver import DROP, Receiver, Step
from upstream_prw.config import BasicAuthSettings, RemoteWriteSettings, RetrySettings
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.send import Sender, SendOutcome, settle_environment
from upstream_prw.send.stats import Stats, StatsSnapshot
from upstream_prw.version import USER_AGENT

_REQUEST = encoded_request([({"__name__": "up", "job": "test"}, [(1_000, 1.0), (2_000, 2.0)])])


def _settings(url: str, retry: dict[str, Any] | None = None, **top: Any) -> RemoteWriteSettings:
    fast = {"initial_interval": 0.01, "max_interval": 0.05, "max_elapsed_time": 5.0}
    return RemoteWriteSettings(
        endpoint=url,
        timeout=top.pop("timeout", 2.0),
        retry_on_failure=RetrySettings(**{**fast, **(retry or {})}),
        **top,
    )


def _send(sender: Sender, request: EncodedRequest = _REQUEST) -> SendOutcome:
    return sender.send(request, threading.Event())


def test_503_then_204_is_delivered_once(receiver: Receiver) -> None:
    receiver.script(Step(503, body="busy"))
    stats = Stats()
    outcome = _send(Sender(_settings(receiver.url), stats=stats))
    assert outcome == SendOutcome(delivered=True, attempts=2, status=204)
    assert [r.status for r in receiver.received] == [503, 204]
    assert stats.snapshot() == StatsSnapshot(samples_sent=2, requests_sent=1, requests_retried=1)


def test_request_carries_the_spec_headers_and_the_payload_as_is(receiver: Receiver) -> None:
    settings = _settings(receiver.url, headers={"X-Scope-OrgID": "tenant-1"})
    assert _send(Sender(settings)).delivered
    (got,) = receiver.received
    assert got.method == "POST"
    assert got.path == "/api/v1/write"
    assert got.headers["Content-Encoding"] == "snappy"
    assert got.headers["Content-Type"] == "application/x-protobuf"
    assert got.headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
    assert got.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("otel-cortex-exporter/")
    assert got.headers["X-Scope-OrgID"] == "tenant-1"
    assert got.body == _REQUEST.payload
    assert list(got.series()) == [({"__name__": "up", "job": "test"}, [(1000, 1.0), (2000, 2.0)])]


def test_400_is_permanent_and_logged_once_at_warning_with_the_body_cut(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script(Step(400, body="out of order sample\n" + "x" * 5000))
    stats = Stats()
    with caplog.at_level(logging.DEBUG, logger="upstream_prw"):
        outcome = _send(Sender(_settings(receiver.url), stats=stats))
    assert not outcome.delivered
    assert (outcome.attempts, outcome.status) == (1, 400)
    assert outcome.error is not None and outcome.error.startswith("HTTP 400: out of order sample")
    assert len(receiver.received) == 1
    rejected = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(rejected) == 1
    message = rejected[0].getMessage()
    where = f"127.0.0.1:{receiver.url.split(':')[2].split('/')[0]}"
    assert message.startswith(f"remote write to {where} failed: HTTP 400: out of order sample\\nxx")
    body = message.split("HTTP 400: ", 1)[1].split("; the backend", 1)[0]
    assert len(body) == 256
    assert stats.snapshot() == StatsSnapshot(samples_failed=2, requests_failed=1)


def test_429_retry_after_is_honoured(receiver: Receiver) -> None:
    receiver.script(Step(429, headers={"Retry-After": "1"}))
    outcome = _send(Sender(_settings(receiver.url)))
    assert outcome.delivered and outcome.attempts == 2
    first, second = receiver.received
    assert 0.9 <= second.arrival - first.arrival < 3.0


class _FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _InstantStop(threading.Event):
    """A stop event whose waits advance a fake clock instead of sleeping."""

    def __init__(self, clock: _FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        self.clock.now += timeout
        return False


def test_http_date_retry_after_uses_the_wall_clock(receiver: Receiver) -> None:
    wall = 1_700_000_000.0
    date = format_datetime(datetime.fromtimestamp(wall + 5, timezone.utc), usegmt=True)
    receiver.script(Step(503, headers={"Retry-After": date}))
    clock = _FakeClock()
    stop = _InstantStop(clock)
    sender = Sender(_settings(receiver.url), clock=clock, wall_clock=lambda: wall)
    assert sender.send(_REQUEST, stop).delivered
    assert stop.waits == [5.0]


def test_gives_up_by_max_elapsed_time_with_injected_time(receiver: Receiver) -> None:
    receiver.responder = lambda: Step(503)
    clock = _FakeClock()
    stop = _InstantStop(clock)
    retry = {
        "initial_interval": 1.0,
        "max_interval": 10.0,
        "max_elapsed_time": 60.0,
        "randomization_factor": 0.0,
    }
    sender = Sender(_settings(receiver.url, retry), clock=clock)
    outcome = sender.send(_REQUEST, stop)
    assert not outcome.delivered
    # Waits 1, 1.5, 2.25, 3.375, 5.06, 7.59 add to 20.8, then three capped 10s reach 50.8;
    # one more would pass 60, so it gives up after ten attempts without sleeping past it.
    assert stop.waits == pytest.approx([1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 10, 10, 10])
    assert outcome.attempts == 10
    assert sum(stop.waits) <= 60.0


def test_permanently_failing_endpoint_gives_up_on_time(receiver: Receiver) -> None:
    receiver.responder = lambda: Step(503, body="unavailable")
    retry = {"initial_interval": 0.02, "max_interval": 0.05, "max_elapsed_time": 0.5}
    stats = Stats()
    started = time.monotonic()
    outcome = _send(Sender(_settings(receiver.url, retry), stats=stats))
    took = time.monotonic() - started
    assert not outcome.delivered
    assert outcome.status == 503 and outcome.error == "HTTP 503: unavailable"
    assert 4 <= outcome.attempts <= 40
    assert took < 0.5 + 1.0
    assert len(receiver.received) == outcome.attempts
    snapshot = stats.snapshot()
    assert (snapshot.requests_failed, snapshot.requests_retried) == (1, outcome.attempts - 1)


def test_dropped_connection_is_retried(receiver: Receiver) -> None:
    receiver.script(DROP)
    outcome = _send(Sender(_settings(receiver.url)))
    assert outcome == SendOutcome(delivered=True, attempts=2, status=204)
    assert [r.status for r in receiver.received] == [None, 204]


def test_slow_answer_beyond_timeout_is_retried(receiver: Receiver) -> None:
    receiver.script(Step(delay=1.0))
    outcome = _send(Sender(_settings(receiver.url, timeout=0.2)))
    assert outcome == SendOutcome(delivered=True, attempts=2, status=204)


def test_retries_disabled_means_one_attempt(receiver: Receiver) -> None:
    receiver.script(Step(503))
    outcome = _send(Sender(_settings(receiver.url, {"enabled": False})))
    assert (outcome.delivered, outcome.attempts, outcome.status) == (False, 1, 503)


def test_stop_interrupts_a_backoff(receiver: Receiver) -> None:
    receiver.script(Step(429, headers={"Retry-After": "30"}))
    stop = threading.Event()
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    started = time.monotonic()
    outcome = Sender(_settings(receiver.url, {"max_elapsed_time": 300.0})).send(_REQUEST, stop)
    assert time.monotonic() - started < 2.0
    assert (outcome.delivered, outcome.attempts, outcome.status) == (False, 1, 429)
    timer.join()


class _CountingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.posts = 0
        self.closed = False

    def post(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.posts += 1
        return super().post(*args, **kwargs)

    def close(self) -> None:
        self.closed = True
        super().close()


class _CountingAuth(requests.auth.AuthBase):
    def __init__(self, fail_first: int = 0) -> None:
        self.calls = 0
        self.fail_first = fail_first

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        self.calls += 1
        if self.calls <= self.fail_first:
            raise RuntimeError("credentials not available yet")
        r.headers["X-Signature"] = f"sig-{self.calls}"
        return r


def test_every_attempt_goes_through_session_post_and_its_auth(receiver: Receiver) -> None:
    receiver.script(Step(503), Step(503))
    session = _CountingSession()
    session.auth = _CountingAuth()
    sender = Sender(_settings(receiver.url), session)
    assert _send(sender).attempts == 3
    assert session.posts == 3
    assert session.auth.calls == 3
    assert [r.headers["X-Signature"] for r in receiver.received] == ["sig-1", "sig-2", "sig-3"]
    sender.close()
    assert not session.closed  # not ours to close


def test_a_failing_auth_hook_is_retried(receiver: Receiver) -> None:
    session = requests.Session()
    session.auth = _CountingAuth(fail_first=1)
    outcome = _send(Sender(_settings(receiver.url), session))
    assert outcome == SendOutcome(delivered=True, attempts=2, status=204)
    assert len(receiver.received) == 1


def test_a_request_requests_cannot_build_is_permanent(receiver: Receiver) -> None:
    class BadHeaderSession(requests.Session):
        def post(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            raise requests.exceptions.InvalidHeader("bad header value")

    outcome = _send(Sender(_settings(receiver.url), BadHeaderSession()))
    assert (outcome.delivered, outcome.attempts) == (False, 1)
    assert outcome.error == "InvalidHeader: bad header value"


def test_own_session_is_closed_and_close_is_idempotent(receiver: Receiver) -> None:
    sender = Sender(_settings(receiver.url))
    assert _send(sender).delivered
    own = sender._session  # the private session is the point of this test
    assert own.adapters["http://"].poolmanager.pools  # type: ignore[attr-defined]
    sender.close()
    sender.close()
    assert not own.adapters["http://"].poolmanager.pools  # type: ignore[attr-defined]


def test_bearer_token_file_is_read_on_every_send(receiver: Receiver, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first-token\n")
    sender = Sender(_settings(receiver.url, bearer_token_file=str(token)))
    assert _send(sender).delivered
    token.write_text("second-token\n")
    assert _send(sender).delivered
    sent = [r.headers["Authorization"] for r in receiver.received]
    assert sent == ["Bearer first-token", "Bearer second-token"]


def test_missing_token_file_is_a_retryable_failure(receiver: Receiver, tmp_path: Path) -> None:
    settings = _settings(
        receiver.url, {"max_elapsed_time": 0.1}, bearer_token_file=str(tmp_path / "absent")
    )
    outcome = _send(Sender(settings))
    assert not outcome.delivered and outcome.attempts > 1
    assert outcome.error is not None and outcome.error.startswith("FileNotFoundError")
    assert receiver.received == []


def test_basic_auth_password_file(receiver: Receiver, tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("s3cret\n")
    basic = BasicAuthSettings(username="alice", password_file=str(password))
    assert _send(Sender(_settings(receiver.url, basic_auth=basic))).delivered
    assert receiver.received[0].headers["Authorization"] == "Basic YWxpY2U6czNjcmV0"


def test_session_auth_wins_over_configured_auth(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    session = requests.Session()
    session.auth = _CountingAuth()
    sender = Sender(_settings(receiver.url, bearer_token="configured"), session)
    with caplog.at_level(logging.WARNING, logger="upstream_prw"):
        _send(sender)
        _send(sender)
    assert all("Authorization" not in r.headers for r in receiver.received)
    assert [r.headers["X-Signature"] for r in receiver.received] == ["sig-1", "sig-2"]
    assert len([r for r in caplog.records if "own auth" in r.getMessage()]) == 1


def test_secrets_never_reach_logs_or_repr(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script(Step(503), Step(400, body="denied"))
    settings = _settings(
        receiver.url,
        bearer_token="tok-SECRET-1",
        proxy_url="http://user:pw-SECRET-2@127.0.0.1:9",
    )
    sender = Sender(settings)
    with caplog.at_level(logging.DEBUG):
        # keep the proxy's password in the settings, but connect directly
        sender._transport._proxies = None
        outcome = _send(sender)
    assert outcome.status == 400
    assert receiver.received[0].headers["Authorization"] == "Bearer tok-SECRET-1"
    assert "SECRET" not in caplog.text
    assert "SECRET" not in repr(sender) + repr(outcome)


def test_proxy_failure_does_not_leak_the_proxy_password(caplog: pytest.LogCaptureFixture) -> None:
    settings = _settings(
        "http://203.0.113.1/api/v1/write",
        {"max_elapsed_time": 0.05},
        proxy_url="http://user:pw-SECRET-3@127.0.0.1:9",
        timeout=0.5,
    )
    with caplog.at_level(logging.DEBUG):
        outcome = _send(Sender(settings))
    assert not outcome.delivered
    assert outcome.error is not None and "SECRET" not in outcome.error
    assert "SECRET" not in caplog.text


def test_insecure_skip_verify_warns_once_at_construction(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = RemoteWriteSettings.from_mapping(
        {"endpoint": "https://h/w", "tls": {"insecure_skip_verify": True}}
    )
    with caplog.at_level(logging.WARNING, logger="upstream_prw"):
        Sender(settings).close()
    assert [r.getMessage() for r in caplog.records] == [
        "TLS certificate verification is disabled for https://h/w (tls.insecure_skip_verify)"
    ]


def test_known_secrets_are_redacted_from_exception_messages(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    class EchoingSession(requests.Session):
        def post(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            raise requests.ConnectionError("reset while sending Bearer tok-SECRET-4")

    settings = _settings(receiver.url, {"enabled": False}, bearer_token="tok-SECRET-4")
    with caplog.at_level(logging.DEBUG):
        outcome = _send(Sender(settings, EchoingSession()))
    assert outcome.error == "ConnectionError: reset while sending Bearer ***"
    assert "SECRET" not in caplog.text


def test_own_session_reads_the_environment_once(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    settings = RemoteWriteSettings.from_mapping({"endpoint": "https://backend.invalid/write"})
    sender = Sender(settings)
    session = sender._session
    assert session.trust_env is False
    assert session.proxies["https"] == "http://proxy.invalid:3128"
    assert session.verify == "/etc/ssl/certs/ca-certificates.crt"
    sender.close()


def test_settle_environment_leaves_a_given_session_alone(receiver: Receiver) -> None:
    session = requests.Session()
    sender = Sender(RemoteWriteSettings.from_mapping({"endpoint": receiver.url}), session)
    assert session.trust_env is True
    sender.close()
    settle_environment(session, receiver.url)  # what a wrapper owning its session may do
    assert session.trust_env is False
    assert "http" not in session.proxies  # loopback is in NO_PROXY
