"""Where STS is called to assume a role: a given endpoint (a VPC endpoint), or FIPS."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import botocore.session
import pytest

from auth.credentials import resolve_credentials, sts_client_creator
from tests.auth.test_sts import ROLE, caller_arn


@pytest.fixture
def base_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDBASEEXAMPLE00001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "base/secret/example")


def _client(**options: object) -> object:
    create = sts_client_creator(botocore.session.Session(), "us-east-1", **options)  # type: ignore[arg-type]
    return create("sts", aws_access_key_id="AKIDX", aws_secret_access_key="s")


def test_fips_uses_the_sts_fips_endpoint() -> None:
    client = _client(use_fips=True)
    assert client.meta.endpoint_url == "https://sts-fips.us-east-1.amazonaws.com"  # type: ignore[attr-defined]


def test_a_given_endpoint_wins() -> None:
    url = "https://vpce-0abc-def.sts.us-east-1.vpce.amazonaws.com"
    assert _client(endpoint_url=url).meta.endpoint_url == url  # type: ignore[attr-defined]
    assert _client(endpoint_url=url, use_fips=True).meta.endpoint_url == url  # type: ignore[attr-defined]


def test_without_either_the_regional_endpoint() -> None:
    assert _client().meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"  # type: ignore[attr-defined]


@pytest.mark.usefixtures("base_keys")
def test_the_role_is_assumed_at_the_given_endpoint(_moto: str) -> None:
    # No AWS_ENDPOINT_URL_STS here: only the setting points botocore at the local STS.
    credentials = resolve_credentials(
        role_arn=ROLE, session_name="vpc-only", sts_region="us-east-1", sts_endpoint=_moto
    )
    frozen = credentials.get_frozen_credentials()
    assert frozen.access_key.startswith("ASIA")
    assert caller_arn(frozen, _moto).endswith("assumed-role/amp-writer/vpc-only")


@pytest.fixture
def connect_recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """An HTTPS proxy on 127.0.0.1 that records each CONNECT line and refuses it."""
    lines: list[str] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                lines.append(conn.recv(4096).split(b"\r\n", 1)[0].decode())
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.getsockname()[1]}")
    yield lines
    stop.set()
    thread.join()
    server.close()


@pytest.mark.usefixtures("base_keys")
def test_fips_reaches_for_sts_fips_on_the_wire(connect_recorder: list[str]) -> None:
    credentials = resolve_credentials(
        role_arn=ROLE, sts_region="us-east-1", use_fips_sts_endpoint=True
    )
    with pytest.raises(Exception):  # noqa: B017  (the proxy refuses; where it went is the point)
        credentials.get_frozen_credentials()
    assert connect_recorder[0].startswith("CONNECT sts-fips.us-east-1.amazonaws.com:443 ")
