"""A snappy remote-write POST as it arrives on a socket, checked by two independent signers."""

from __future__ import annotations

import cramjam
import requests
from requests_aws4auth import AWS4Auth

from auth.sigv4 import SigV4Auth
from auth.verify import verify
from tests.auth.conftest import CaptureServer
from tests.auth.fakes import ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, Clock, static_credentials

PATH = "/workspaces/ws-0123/api/v1/remote_write"
HEADERS = {
    "Content-Type": "application/x-protobuf",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
    "User-Agent": "otel-remote-write/0.1",
}


def test_snappy_post_verifies_as_received(capture_server: CaptureServer) -> None:
    payload = bytes(cramjam.snappy.compress_raw(b"\n\x12\n\x10\n\x08__name__\x12\x04up" * 500))
    clock = Clock()
    hook = SigV4Auth(region="us-west-2", credentials=static_credentials(), clock=clock)

    response = requests.Session().post(
        capture_server.url + PATH, data=payload, headers=HEADERS, auth=hook
    )

    assert response.status_code == 204
    (received,) = capture_server.requests
    assert (received.method, received.target, received.body) == ("POST", PATH, payload)
    assert received.header("Host") == capture_server.url.removeprefix("http://")
    authorization = received.header("Authorization") or ""
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    for unsigned in ("user-agent", "accept-encoding", "content-length", "connection", "accept"):
        assert received.header(unsigned) is not None
        assert unsigned not in signed

    ours = verify(
        method=received.method,
        target=received.target,
        headers=received.headers,
        body=received.body,
        secrets={ACCESS_KEY: SECRET_KEY},
        now=clock(),
        region="us-west-2",
        service="aps",
    )
    assert (ours.ok, ours.reason) == (True, "ok")

    replay = requests.Request(
        received.method,
        capture_server.url + received.target,
        headers={n: v for n, v in received.headers if n.lower() != "authorization"},
        data=received.body,
    ).prepare()
    # The replay carries the received X-Amz-Date, so AWS4Auth signs at the same instant.
    AWS4Auth(
        ACCESS_KEY,
        SECRET_KEY,
        "us-west-2",
        "aps",
        session_token=SESSION_TOKEN,
        include_hdrs=signed,
    )(replay)
    assert replay.headers["Authorization"] == authorization
