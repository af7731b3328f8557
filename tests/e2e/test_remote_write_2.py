"""Remote Write 2.0 against the real Prometheus 2.42 (and VictoriaMetrics), which take only
1.0: they answer a 2.0 request 204 without Written headers, having written nothing; the
sender takes that as a refusal and the data arrives as 1.0, readable back."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from cortex_exporter.cli.main import main
from cortex_exporter.cli.probe_v2 import ONLY_V1
from tests.e2e.conftest import Backend, unique_metric_name
from tests.upstream_prw.payloads import encoded_v2_request
from upstream_prw.config import RemoteWriteSettings
from upstream_prw.config.translation import V2_MESSAGE
from upstream_prw.send import Sender
from upstream_prw.send.negotiation import protocol_headers, read_written

pytestmark = pytest.mark.e2e


def test_what_a_1_x_backend_answers_to_a_2_0_request(backend: Backend) -> None:
    metric = unique_metric_name("e2e_rw2_raw")
    now = int(time.time() * 1000)
    request = encoded_v2_request([({"__name__": metric, "job": "e2e"}, [(now, 1.0)])])
    with requests.Session() as session:
        session.trust_env = False
        answer = session.post(
            backend.write_url,
            data=request.payload,
            headers=protocol_headers(V2_MESSAGE),
            timeout=10,
        )
    assert answer.status_code == 204, answer.text
    assert read_written(answer.headers) is None  # a 1.x receiver: no Written headers
    backend.flush()
    assert backend.query(metric) == []  # and nothing written: the 2.0 bytes decode as empty


def test_the_sender_falls_back_and_the_data_is_read_back_as_sent(backend: Backend) -> None:
    metric = unique_metric_name("e2e_rw2_fallback")
    now = int(time.time() * 1000)
    series = [
        ({"__name__": metric, "room": "kitchen"}, [(now - 2000, 21.5), (now - 1000, 22.0)]),
        ({"__name__": metric, "room": "hall"}, [(now - 1000, 19.0)]),
    ]
    settings = RemoteWriteSettings(endpoint=backend.write_url, protobuf_message=V2_MESSAGE)
    sender = Sender(settings)
    try:
        assert sender.negotiation.use_v2()
        outcome = sender.send(encoded_v2_request(series, counter=True), threading.Event())
        assert outcome.delivered, outcome
        assert sender.negotiation.refused() and not sender.negotiation.use_v2()
        assert "without any X-Prometheus-Remote-Write-*-Written" in sender.negotiation.last_refusal
    finally:
        sender.close()
    backend.flush()
    found = backend.query_eventually(metric, time=now / 1000)
    assert {r["metric"]["room"]: r["value"][1] for r in found} == {"kitchen": "22", "hall": "19"}
    stats = sender.stats.snapshot()
    assert (stats.samples_sent, stats.requests_failed, stats.samples_written) == (3, 0, 0)


def test_check_says_1_0_only(backend: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["check", "--endpoint", backend.write_url])
    output = capsys.readouterr().out
    assert status == 0, output
    assert ONLY_V1 in output
    assert "HTTP 204 No Content without any X-Prometheus-Remote-Write-*-Written header" in output
