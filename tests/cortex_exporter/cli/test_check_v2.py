"""`cortex-exporter check` asks whether the endpoint takes Remote Write 2.0, after the 1.0
probe, and says which answer told it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortex_exporter.cli.main import main
from cortex_exporter.cli.probe_v2 import ACCEPTS_V2, ONLY_V1
from cortex_exporter.cli.receiver import InspectionReceiver
from tests.cortex_exporter.support import ACCESS_KEY, SECRET_KEY
from tests.upstream_prw.receiver import Receiver, Step
from tests.upstream_prw.receiver_v2 import ReceiverV2
from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE


def _check(capsys: pytest.CaptureFixture[str], url: str) -> tuple[int, dict[str, str]]:
    status = main(["check", "--endpoint", url])
    out = capsys.readouterr().out
    lines = {line[2:14].strip(): line[14:] for line in out.splitlines() if line[2:3] != " "}
    return status, lines


@pytest.mark.parametrize(
    ("mode", "answer"),
    [
        ("415", "HTTP 415 Unsupported Media Type: unsupported content type"),
        ("no-written", "HTTP 204 No Content without any X-Prometheus-Remote-Write-*-Written"),
        ("400", "HTTP 400 Bad Request: proto: cannot parse"),
    ],
)
def test_a_1_0_only_endpoint_is_named_with_the_answer_that_said_so(
    mode: str, answer: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with ReceiverV2(mode) as rx:
        status, lines = _check(capsys, rx.url)
        sent = [(a.message, a.status) for a in rx.arrivals]
    assert status == 0
    assert lines["result"] == "OK"
    assert lines["2.0 answer"].startswith(answer), lines
    assert lines["2.0 meaning"] == ONLY_V1
    assert [message for message, _ in sent] == [V1_MESSAGE, V2_MESSAGE]  # no 1.0 resend


def test_a_2_0_endpoint_is_told_to_use_2_0(capsys: pytest.CaptureFixture[str]) -> None:
    with ReceiverV2("v2") as rx:
        status, lines = _check(capsys, rx.url)
        (first, probe) = rx.arrivals
    assert status == 0
    assert lines["2.0 meaning"] == ACCEPTS_V2
    assert ACCEPTS_V2.endswith("set protobuf_message: io.prometheus.write.v2.Request")
    assert lines["2.0 answer"] == (
        "HTTP 204 No Content; written: 1 samples, 0 histograms, 0 exemplars"
    )
    assert probe.violations == []
    ((labels, timestamp, value),) = list(probe.points())
    assert dict(labels)["__name__"] == "cortex_exporter_check" and value == "1.0"
    ((same_labels, before, _),) = list(first.points())
    assert (same_labels, timestamp) == (labels, before + 1)  # the same series, 1 ms later


def test_an_answer_that_says_nothing_about_the_protocol_is_said_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Receiver() as rx:
        rx.script(Step(204), Step(503, body="ingester down"))
        status, lines = _check(capsys, rx.url)
    assert status == 0
    assert lines["2.0 answer"] == "HTTP 503 Service Unavailable: ingester down"
    assert "does not tell" in lines["2.0 meaning"]


def test_no_2_0_probe_when_the_1_0_probe_failed(capsys: pytest.CaptureFixture[str]) -> None:
    with Receiver() as rx:
        rx.script(Step(401))
        status, lines = _check(capsys, rx.url)
        assert len(rx.received) == 1
    assert status == 1 and "2.0 probe" not in lines


@pytest.mark.usefixtures("env_credentials")
def test_the_2_0_probe_is_signed_like_the_1_0_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "check.yaml"
    with InspectionReceiver(
        secrets={ACCESS_KEY: SECRET_KEY}, region="us-east-1", service="aps"
    ) as rx:
        config.write_text(
            f"endpoint: {rx.url}\naws_auth:\n  enabled: true\n  region: us-east-1\n",
            encoding="utf-8",
        )
        status = main(["check", "--config", str(config)])
        received = rx.received
    out = capsys.readouterr().out
    assert status == 0, out
    assert [write.signature_ok for write in received] == [True, True]
    content_types = [dict(write.headers)["Content-Type"] for write in received]
    assert content_types == ["application/x-protobuf", f"application/x-protobuf;proto={V2_MESSAGE}"]
    assert ACCEPTS_V2 in out  # the inspection receiver takes 2.0 and says what it wrote
    (probe,) = received[1].series
    assert dict(probe.labels)["__name__"] and probe.samples  # decoded as 2.0
