"""Remote Write 2.0 negotiation: a receiver that turns 2.0 down gets the same data as 1.0,
nothing lost; 2.0 is tried again hourly; what 2.0 receivers say they wrote is counted."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from tests.upstream_prw.payloads import encoded_request, encoded_v2_request
from tests.upstream_prw.receiver import Receiver, Step
from tests.upstream_prw.receiver_v2 import ReceiverV2
from upstream_prw.config import RemoteWriteSettings, RetrySettings
from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.send import Sender, SendOutcome
from upstream_prw.send.negotiation import Negotiation, Written, read_written, turned_down

_SERIES = [
    ({"__name__": "temperature", "room": "kitchen"}, [(1_000, 21.5), (2_000, 22.0)]),
    ({"__name__": "temperature", "room": "hall"}, [(1_000, 19.0)]),
]
_HISTOGRAM = ({"__name__": "latency", "path": "/"}, [(1_000, 3.0), (2_000, 5.0)])
_V2 = encoded_v2_request(_SERIES, counter=True, histogram=_HISTOGRAM, exemplar=True)
_WRITTEN = {
    "X-Prometheus-Remote-Write-Samples-Written": "3",
    "X-Prometheus-Remote-Write-Histograms-Written": "2",
    "X-Prometheus-Remote-Write-Exemplars-Written": "1",
}


def _sender(url: str, message: str = V2_MESSAGE, **retry: Any) -> Sender:
    fast = {"initial_interval": 0.01, "max_interval": 0.05, "max_elapsed_time": 5.0, **retry}
    settings = RemoteWriteSettings(
        endpoint=url, timeout=2.0, retry_on_failure=RetrySettings(**fast), protobuf_message=message
    )
    return Sender(settings)


def _send(sender: Sender, request: EncodedRequest = _V2) -> SendOutcome:
    return sender.send(request, threading.Event())


def _points(request: EncodedRequest) -> list[Any]:
    with ReceiverV2("v2") as rx:  # decodes what was sent, the same way as what arrived
        _send(_sender(rx.url), request)
        return sorted(rx.written())


def _lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


def test_each_message_goes_with_its_own_headers() -> None:
    with ReceiverV2("v2") as rx:
        sender = _sender(rx.url)
        assert _send(sender).delivered
        assert _send(sender, encoded_request(_SERIES)).delivered
        first, second = rx.arrivals
    assert first.headers["Content-Type"] == f"application/x-protobuf;proto={V2_MESSAGE}"
    assert first.headers["X-Prometheus-Remote-Write-Version"] == "2.0.0"
    assert second.headers["Content-Type"] == "application/x-protobuf"
    assert second.headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
    assert first.headers["Content-Encoding"] == second.headers["Content-Encoding"] == "snappy"
    assert first.violations == [] and first.message == V2_MESSAGE


@pytest.mark.parametrize("mode", ["415", "no-written"])
def test_a_refusal_resends_the_data_as_1_0_and_the_exporter_stays_on_1_0(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    with ReceiverV2(mode) as rx, caplog.at_level(logging.INFO, logger="upstream_prw"):
        sender = _sender(rx.url)
        assert sender.negotiation.use_v2()
        outcome = _send(sender)
        assert not sender.negotiation.use_v2()
        assert _send(sender).delivered  # the next one goes as 1.0 at once
        messages = [a.message for a in rx.arrivals]
        written = sorted(rx.written())
    assert outcome.delivered and outcome.attempts == 2
    assert messages == [V2_MESSAGE, V1_MESSAGE, V1_MESSAGE]
    assert written == sorted(_points(_V2) * 2)  # every sample and histogram, twice sent
    (line,) = _lines(caplog, logging.WARNING)
    assert "does not take Remote Write 2.0" in line and "prometheus.WriteRequest" in line
    assert "trying 2.0 again in 60 minutes" in line
    assert ("HTTP 415" if mode == "415" else "without any X-Prometheus") in line
    stats = sender.stats.snapshot()
    assert (stats.samples_sent, stats.requests_sent, stats.requests_failed) == (10, 2, 0)


def test_a_2xx_without_written_headers_is_success_for_1_0(receiver: Receiver) -> None:
    sender = _sender(receiver.url, V1_MESSAGE)
    assert _send(sender, encoded_request(_SERIES)).delivered
    assert len(receiver.received) == 1
    assert not sender.negotiation.refused() and not sender.negotiation.use_v2()


def test_a_400_is_answered_by_one_1_0_resend_which_a_1_x_receiver_takes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with ReceiverV2("400") as rx, caplog.at_level(logging.WARNING, logger="upstream_prw"):
        sender = _sender(rx.url)
        assert _send(sender).delivered
        assert [a.status for a in rx.arrivals] == [400, 204]
        assert sorted(rx.written()) == _points(_V2)
    assert sender.negotiation.refused()
    assert "HTTP 400" in sender.negotiation.last_refusal
    assert len(_lines(caplog, logging.WARNING)) == 1


def test_a_400_to_the_1_0_resend_too_is_a_real_400_and_2_0_stays() -> None:
    with ReceiverV2("400", v1_status=400) as rx:
        sender = _sender(rx.url)
        outcome = _send(sender)
        assert [(a.message, a.status) for a in rx.arrivals] == [
            (V2_MESSAGE, 400),
            (V1_MESSAGE, 400),
        ]
    assert not outcome.delivered and outcome.status == 400
    assert not sender.negotiation.refused()
    assert sender.stats.snapshot().samples_failed == 5


def test_a_400_with_written_headers_comes_from_a_2_0_receiver_and_is_final(
    receiver: Receiver,
) -> None:
    receiver.script(
        Step(400, headers={**_WRITTEN, "X-Prometheus-Remote-Write-Samples-Written": "2"})
    )
    sender = _sender(receiver.url)
    outcome = _send(sender)
    assert (outcome.delivered, outcome.attempts, outcome.status) == (False, 1, 400)
    assert len(receiver.received) == 1 and not sender.negotiation.refused()


def test_written_counts_reach_the_stats() -> None:
    with ReceiverV2("v2") as rx:
        sender = _sender(rx.url)
        assert _send(sender).delivered and _send(sender).delivered
    stats = sender.stats.snapshot()
    assert (stats.samples_written, stats.histograms_written, stats.exemplars_written) == (6, 4, 2)
    assert stats.requests_written_fewer == 0 and stats.samples_sent == 10
    assert rx.violations == []


def test_fewer_written_is_counted_logged_once_and_not_sent_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with ReceiverV2("fewer") as rx, caplog.at_level(logging.INFO, logger="upstream_prw"):
        sender = _sender(rx.url)
        outcomes = [_send(sender) for _ in range(3)]
        assert len(rx.arrivals) == 3
    assert all(outcome.delivered and outcome.attempts == 1 for outcome in outcomes)
    stats = sender.stats.snapshot()
    assert (stats.requests_written_fewer, stats.samples_written) == (3, 6)
    (line,) = _lines(caplog, logging.WARNING)
    assert "wrote 2 of 3 samples" in line and "logged once" in line
    assert not sender.negotiation.refused()


def test_a_queued_2_0_request_goes_as_1_0_after_another_was_refused() -> None:
    with ReceiverV2("v2") as rx:
        sender = _sender(rx.url)
        sender.negotiation.refuse("HTTP 415 (another shard's answer)")
        assert _send(sender).delivered
        assert [a.message for a in rx.arrivals] == [V1_MESSAGE]
        assert sorted(rx.written()) == _points(_V2)


def test_a_2_0_request_being_retried_goes_as_1_0_once_2_0_was_refused(
    receiver: Receiver,
) -> None:
    sender = _sender(receiver.url)
    answered: list[int] = []

    def judge(_request: object) -> Step:
        answered.append(1)
        if len(answered) == 1:  # while this one waits for its retry, another is refused
            sender.negotiation.refuse("HTTP 415 (another shard's answer)")
            return Step(503)
        return Step()

    receiver.judge = judge
    outcome = _send(sender)
    got = receiver.received
    assert outcome.delivered and outcome.attempts == 2
    assert [r.headers["X-Prometheus-Remote-Write-Version"] for r in got] == ["2.0.0", "0.1.0"]
    assert [r.status for r in got] == [503, 204]
    assert len(list(got[1].series())) == 3


def test_2_0_is_tried_again_once_an_hour(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    negotiation = Negotiation(
        V2_MESSAGE, endpoint="http://rx:9090/api/v1/write", clock=lambda: now[0]
    )
    with caplog.at_level(logging.INFO, logger="upstream_prw"):
        negotiation.refuse("HTTP 415")
        now[0] = 3599.0
        assert not negotiation.use_v2()
        now[0] = 3600.0
        assert negotiation.use_v2()  # this export tries 2.0 again
        assert not negotiation.refused()
        negotiation.refuse("HTTP 415")  # and is turned down again
        now[0] = 3600.0 + 3599.0
        assert not negotiation.use_v2()
        now[0] = 7200.0
        assert negotiation.use_v2()
        negotiation.accepted(_V2, Written(3, 2, 1))  # the receiver was upgraded
        now[0] = 7300.0
        assert negotiation.use_v2() and negotiation.use_v2()
    assert len(_lines(caplog, logging.WARNING)) == 1  # the first refusal only
    infos = _lines(caplog, logging.INFO)
    assert len(infos) == 4, infos
    assert "trying Remote Write 2.0 again (turned down 60 minutes ago)" in infos[0]
    assert "does not take Remote Write 2.0" in infos[1]
    assert infos[3].endswith("the receiver takes Remote Write 2.0")
    assert all("rx:9090" in line for line in infos)


def test_1_0_configured_never_uses_2_0() -> None:
    negotiation = Negotiation(V1_MESSAGE)
    assert not negotiation.use_v2()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, None),
        ({"X-Prometheus-Remote-Write-Samples-Written": "7"}, Written(7, 0, 0)),
        ({"X-Prometheus-Remote-Write-Histograms-Written": " 2 "}, Written(0, 2, 0)),
        ({"X-Prometheus-Remote-Write-Exemplars-Written": "-1"}, Written(0, 0, 0)),
        ({"X-Prometheus-Remote-Write-Samples-Written": "1e3"}, Written(0, 0, 0)),
        ({"X-Prometheus-Remote-Write-Samples-Written": "9" * 5000}, Written(0, 0, 0)),
        ({"X-Prometheus-Remote-Write-Samples-Written": "٣"}, Written(0, 0, 0)),  # not ASCII
        ({"X-Prometheus-Remote-Write-Samples-Written": ""}, Written(0, 0, 0)),
    ],
)
def test_written_headers_are_read_as_untrusted_text(
    values: dict[str, str], expected: Written | None
) -> None:
    assert read_written(values) == expected


def test_which_answers_to_a_2_0_request_mean_maybe_not_2_0() -> None:
    assert turned_down(415, None, "Unsupported Media Type", "") == "HTTP 415 Unsupported Media Type"
    assert turned_down(415, Written(), "", "no").startswith("HTTP 415")
    assert "without any" in turned_down(204, None, "No Content", "")
    assert turned_down(204, Written(1, 0, 0), "No Content", "") == ""
    assert (
        turned_down(400, None, "Bad Request", "cannot decode")
        == "HTTP 400 Bad Request: cannot decode"
    )
    assert turned_down(400, Written(), "Bad Request", "") == ""
    assert turned_down(503, None, "", "") == turned_down(None, None, "", "") == ""
