"""The inspection receiver: decoding, signature verdicts, AMP's answers, the latest values."""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import cramjam
import requests
from botocore.credentials import Credentials

from auth import SigV4Auth
from cortex_exporter.cli.received import Reply, decode_write
from cortex_exporter.cli.receiver import AMP_MESSAGES, InspectionReceiver
from tests.cortex_exporter.support import ACCESS_KEY, SECRET_KEY
from upstream_prw.proto import remote_pb2
from upstream_prw.translate import is_stale

STALE = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
HEADERS = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf"}


def _payload(*series: tuple[dict[str, str], list[float]]) -> bytes:
    message = remote_pb2.WriteRequest()
    for labels, values in series:
        ts = message.timeseries.add()
        for name, value in sorted(labels.items()):
            ts.labels.add(name=name, value=value)
        for i, value in enumerate(values):
            ts.samples.add(value=value, timestamp=1000 + i)
    return bytes(cramjam.snappy.compress_raw(message.SerializeToString()))


def _signed(
    secret: str = SECRET_KEY,
    *,
    region: str = "us-east-1",
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> SigV4Auth:
    return SigV4Auth(region=region, credentials=Credentials(ACCESS_KEY, secret), clock=clock)


def test_stale_marker_is_one_specific_nan() -> None:
    assert is_stale(STALE)
    assert not is_stale(math.nan)
    assert not is_stale(1.0)


def test_decodes_series_and_keeps_the_latest_value(receiver: InspectionReceiver) -> None:
    body = _payload(({"__name__": "up", "job": "a"}, [1.0, 2.0]), ({"__name__": "x"}, [5.0]))
    response = requests.post(receiver.url, data=body, headers=HEADERS, auth=_signed())
    assert response.status_code == 204
    (write,) = receiver.received
    assert (write.signature, write.signature_ok, write.status) == ("verified", True, 204)
    assert [s.name for s in write.series] == ["up", "x"]
    assert write.samples == 3
    assert decode_write(write.body) == write.series
    states = receiver.series()
    assert [(s.name, s.labels, s.value, s.samples) for s in states] == [
        ("up", {"job": "a"}, 2.0, 2),
        ("x", {}, 5.0, 1),
    ]
    requests.post(receiver.url, data=_payload(({"__name__": "x"}, [STALE])), auth=_signed())
    (up, x) = receiver.series()
    assert (x.value, x.stale, up.stale) == (5.0, True, False)


def test_a_wrong_secret_gets_amps_403(receiver: InspectionReceiver) -> None:
    response = requests.post(
        receiver.url, data=_payload(({"__name__": "up"}, [1.0])), auth=_signed("wrong")
    )
    assert response.status_code == 403
    assert json.loads(response.text) == {"message": AMP_MESSAGES["mismatch"]}
    (write,) = receiver.received
    assert (write.signature, write.signature_ok) == ("FAILED: signature mismatch", False)
    assert receiver.series() == []


def test_unsigned_unknown_key_region_and_clock_each_get_their_message(
    receiver: InspectionReceiver,
) -> None:
    body = _payload(({"__name__": "up"}, [1.0]))
    late = datetime.now(timezone.utc) - timedelta(minutes=20)
    attempts = {
        "unsigned": None,
        "unknown key": SigV4Auth(region="us-east-1", credentials=Credentials("AKIDOTHER", "s")),
        "scope": _signed(region="eu-west-1"),
        "skew": _signed(clock=lambda: late),
    }
    for kind, hook in attempts.items():
        response = requests.post(receiver.url, data=body, headers=HEADERS, auth=hook)
        assert (response.status_code, response.json()["message"]) == (403, AMP_MESSAGES[kind])


def test_without_secrets_nothing_is_checked() -> None:
    with InspectionReceiver() as rx:
        requests.post(rx.url, data=_payload(({"__name__": "up"}, [1.0])), auth=_signed())
        requests.post(rx.url, data=_payload(({"__name__": "up"}, [2.0])))
        verdicts = [(w.signature, w.signature_ok, w.status) for w in rx.received]
    assert verdicts == [("signed, not checked", None, 204), ("unsigned", None, 204)]


def test_a_body_that_is_not_remote_write_gets_400(receiver: InspectionReceiver) -> None:
    response = requests.post(receiver.url, data=b"not snappy", auth=_signed())
    assert response.status_code == 400
    assert response.text.startswith("cannot decode the body as a snappy WriteRequest")
    assert receiver.received[0].error


def test_get_is_refused_and_respond_overrides_the_answer() -> None:
    with InspectionReceiver(respond=lambda write: Reply(429, "slow down")) as rx:
        assert requests.get(rx.url).status_code == 405
        response = requests.post(rx.url, data=_payload(({"__name__": "up"}, [1.0])))
        assert (response.status_code, response.text) == (429, "slow down")
        assert rx.received[0].status == 429
        assert rx.series() == []  # not accepted, so not stored


def test_on_request_sees_each_request_and_wait_for_times_out() -> None:
    seen: list[int] = []
    with InspectionReceiver(on_request=lambda w: seen.append(w.number)) as rx:
        requests.post(rx.url, data=_payload(({"__name__": "up"}, [1.0])))
        assert rx.wait_for(1, timeout=1.0)
        assert not rx.wait_for(2, timeout=0.05)
    assert seen == [1]
