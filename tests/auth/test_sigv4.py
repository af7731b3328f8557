"""SigV4Auth as a requests hook: what it signs, when it re-signs, and that it never fails open."""

from __future__ import annotations

import pytest
import requests
from botocore.credentials import Credentials, DeferredRefreshableCredentials

from auth.errors import AuthError, CredentialsError, NoCredentialsError, SigningError
from auth.sigv4 import SigV4Auth
from auth.verify import verify
from tests.auth.conftest import Captured, CaptureServer
from tests.auth.fakes import (
    ACCESS_KEY,
    SECRET_KEY,
    SESSION_TOKEN,
    START,
    Clock,
    Failing,
    Partial,
    Recording,
    static_credentials,
)

REMOTE_WRITE_HEADERS = {
    "Content-Type": "application/x-protobuf",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
    "User-Agent": "otel-remote-write/0.1",
}


def prepared(
    url: str = "https://aps-workspaces.us-east-1.amazonaws.com/w", **headers: str
) -> requests.PreparedRequest:
    request = requests.Request("POST", url, data=b"\x00payload", headers=REMOTE_WRITE_HEADERS)
    result = requests.Session().prepare_request(request)
    result.headers.update(headers)
    return result


def auth(clock: Clock | None = None, **kwargs: object) -> SigV4Auth:
    kwargs.setdefault("credentials", static_credentials())
    return SigV4Auth(region="us-east-1", clock=clock or Clock(), **kwargs)  # type: ignore[arg-type]


def signed_headers(request: requests.PreparedRequest) -> list[str]:
    authorization = request.headers["Authorization"]
    return authorization.split("SignedHeaders=")[1].split(",")[0].split(";")


def verified(captured: Captured, clock: Clock) -> str:
    result = verify(
        method=captured.method,
        target=captured.target,
        headers=captured.headers,
        body=captured.body,
        secrets={ACCESS_KEY: SECRET_KEY},
        now=clock(),
        region="us-east-1",
        service="aps",
    )
    return result.reason


def test_signs_only_headers_that_survive_transit() -> None:
    request = auth()(prepared(Connection="keep-alive", Expect="100-continue"))
    assert signed_headers(request) == [
        "content-encoding",
        "content-type",
        "host",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-security-token",
        "x-prometheus-remote-write-version",
    ]
    assert request.headers["X-Amz-Date"] == "20240517T093000Z"
    assert request.headers["X-Amz-Security-Token"] == SESSION_TOKEN
    assert request.headers["Authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240517/us-east-1/aps/aws4_request, "
    )


def test_long_lived_keys_carry_no_token() -> None:
    request = auth(credentials=static_credentials(token=None))(prepared())
    assert "X-Amz-Security-Token" not in request.headers
    assert "x-amz-security-token" not in signed_headers(request)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        (
            "https://aps-workspaces.us-east-1.amazonaws.com:443/w",
            "aps-workspaces.us-east-1.amazonaws.com",
        ),
        ("http://receiver.internal:80/w", "receiver.internal"),
        ("https://receiver.internal:8443/w", "receiver.internal:8443"),
        ("http://receiver.internal:443/w", "receiver.internal:443"),
        ("http://[::1]:9090/w", "[::1]:9090"),
        ("https://user:pass@Receiver.Internal/w", "receiver.internal"),
    ],
)
def test_sends_the_host_it_signed(url: str, host: str) -> None:
    request = auth()(prepared(url))
    assert request.headers["Host"] == host


def test_second_request_a_second_later_gets_a_new_date_and_signature(
    capture_server: CaptureServer,
) -> None:
    clock = Clock()
    session = requests.Session()
    hook = auth(clock)
    for _ in range(2):
        session.post(
            capture_server.url + "/w", data=b"body", headers=REMOTE_WRITE_HEADERS, auth=hook
        )
        assert verified(capture_server.requests[-1], clock) == "ok"
        clock.advance(seconds=1)
    first, second = capture_server.requests
    assert (first.header("X-Amz-Date"), second.header("X-Amz-Date")) == (
        "20240517T093000Z",
        "20240517T093001Z",
    )
    assert first.header("Authorization") != second.header("Authorization")


def test_resigning_a_reused_request_replaces_every_signature_header() -> None:
    clock = Clock()
    request = auth(clock)(prepared())
    clock.advance(minutes=6)
    request = auth(clock, credentials=static_credentials(token=None))(request)
    assert request.headers["X-Amz-Date"] == "20240517T093600Z"
    assert "X-Amz-Security-Token" not in request.headers
    result = verify(
        method="POST",
        target=request.path_url,
        headers=request.headers.items(),
        body=b"\x00payload",
        secrets={ACCESS_KEY: SECRET_KEY},
        now=clock(),
    )
    assert result.reason == "ok"


def test_one_frozen_credential_set_per_request() -> None:
    recording = Recording(static_credentials())
    hook = auth(credentials=recording)
    hook(prepared())
    hook(prepared())
    assert len(recording.handed_out) == 2


def test_nothing_leaves_without_credentials(capture_server: CaptureServer) -> None:
    # conftest left no AWS variables, empty shared files and IMDS disabled.
    hook = SigV4Auth(region="us-east-1")
    with pytest.raises(NoCredentialsError) as raised:
        requests.post(capture_server.url + "/w", data=b"body", auth=hook)
    assert capture_server.requests == []
    assert "env" in raised.value.tried and "iam-role" in raised.value.tried


@pytest.mark.parametrize(
    "error", [RuntimeError("metadata service timed out"), ValueError(), OSError("no route")]
)
def test_nothing_leaves_when_the_provider_raises(
    capture_server: CaptureServer, error: Exception
) -> None:
    hook = auth(credentials=Failing(error))
    with pytest.raises(CredentialsError, match="broken-provider") as raised:
        requests.post(capture_server.url + "/w", data=b"body", auth=hook)
    assert capture_server.requests == []
    assert raised.value.__cause__ is error


def test_nothing_leaves_when_a_refresh_fails(capture_server: CaptureServer) -> None:
    def refresh() -> dict[str, str]:
        raise ConnectionError("sts unreachable")

    deferred = DeferredRefreshableCredentials(refresh_using=refresh, method="assume-role")
    with pytest.raises(CredentialsError, match="assume-role: ConnectionError: sts unreachable"):
        requests.post(capture_server.url + "/w", data=b"body", auth=auth(credentials=deferred))
    assert capture_server.requests == []


def test_nothing_leaves_with_half_a_key_set(capture_server: CaptureServer) -> None:
    with pytest.raises(CredentialsError, match="no access key id or no secret key"):
        requests.post(capture_server.url + "/w", data=b"body", auth=auth(credentials=Partial()))
    assert capture_server.requests == []


def test_default_chain_is_resolved_once_and_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = SigV4Auth(region="us-east-1", clock=Clock())
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    first = hook(prepared())
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDCHANGEDLATER0000")
    second = hook(prepared())
    assert ACCESS_KEY in first.headers["Authorization"]
    assert ACCESS_KEY in second.headers["Authorization"]


def test_streamed_bodies_are_refused() -> None:
    request = prepared()
    request.body = iter([b"chunk"])  # type: ignore[assignment]
    with pytest.raises(SigningError, match="pass the body as bytes"):
        auth()(request)


@pytest.mark.parametrize("region", ["", "  ", "US-EAST-1"])
def test_unusable_region_is_refused_at_construction(region: str) -> None:
    with pytest.raises(AuthError, match=r"aws_auth\.region"):
        SigV4Auth(region=region, credentials=static_credentials())


def test_repr_shows_scope_only() -> None:
    hook = SigV4Auth(region="eu-west-1", credentials=static_credentials(), clock=lambda: START)
    assert repr(hook) == "SigV4Auth(region='eu-west-1', service='aps')"


def test_explicit_credentials_object_needs_only_get_frozen_credentials() -> None:
    plain = Credentials(ACCESS_KEY, SECRET_KEY)
    request = auth(credentials=plain)(prepared())
    assert ACCESS_KEY in request.headers["Authorization"]
