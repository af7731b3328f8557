"""Assumed roles and web identity against a local STS (moto on 127.0.0.1), rotation included."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import botocore.session
import pytest
import requests

from auth.credentials import DEFAULT_SESSION_NAME, credential_source, resolve_credentials
from auth.sigv4 import SigV4Auth
from auth.verify import verify
from tests.auth.conftest import Captured, CaptureServer
from tests.auth.fakes import Clock, Recording

ROLE = "arn:aws:iam::123456789012:role/amp-writer"
# AssumeRole's documented default session length, which moto follows.
STS_DEFAULT_DURATION = timedelta(hours=1)


@pytest.fixture
def base_keys(monkeypatch: pytest.MonkeyPatch, local_sts: str) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDBASEEXAMPLE00001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "base/secret/example")


def verified(captured: Captured, recording: Recording, now: datetime) -> bool:
    return verify(
        method=captured.method,
        target=captured.target,
        headers=captured.headers,
        body=captured.body,
        secrets=recording.secrets(),
        now=now,
        region="us-east-1",
        service="aps",
    ).ok


def caller_arn(frozen: object, sts_url: str) -> str:
    client = botocore.session.Session().create_client(
        "sts",
        region_name="us-east-1",
        endpoint_url=sts_url,
        aws_access_key_id=frozen.access_key,  # type: ignore[attr-defined]
        aws_secret_access_key=frozen.secret_key,  # type: ignore[attr-defined]
        aws_session_token=frozen.token,  # type: ignore[attr-defined]
    )
    return str(client.get_caller_identity()["Arn"])


@pytest.mark.usefixtures("base_keys")
def test_assumed_role_rotates_before_expiry_and_each_request_verifies(
    local_sts: str, capture_server: CaptureServer
) -> None:
    # botocore decides when to refresh from the injected clock; STS stamps expiry in real time.
    clock = Clock(datetime.now(timezone.utc))
    credentials = resolve_credentials(
        role_arn=ROLE, external_id="amp-external-id", sts_region="us-east-1", clock=clock
    )
    assert credential_source(credentials) == "assume-role (base credentials: env)"
    recording = Recording(credentials)
    hook = SigV4Auth(region="us-east-1", credentials=recording, clock=clock)
    session = requests.Session()

    session.post(capture_server.url + "/w", data=b"first", auth=hook)
    first_checked = verified(capture_server.requests[0], recording, clock())
    clock.advance(seconds=(STS_DEFAULT_DURATION - timedelta(minutes=5)).total_seconds())
    session.post(capture_server.url + "/w", data=b"second", auth=hook)
    second_checked = verified(capture_server.requests[1], recording, clock())

    first, second = recording.handed_out
    assert first.access_key != second.access_key
    assert first.access_key.startswith("ASIA") and second.access_key.startswith("ASIA")
    assert [r.header("X-Amz-Security-Token") for r in capture_server.requests] == [
        first.token,
        second.token,
    ]
    assert first_checked and second_checked
    assert caller_arn(second, local_sts).endswith(f"assumed-role/amp-writer/{DEFAULT_SESSION_NAME}")


@pytest.mark.usefixtures("base_keys")
def test_role_is_not_assumed_until_first_use_and_then_reused(local_sts: str) -> None:
    clock = Clock(datetime.now(timezone.utc))
    credentials = resolve_credentials(
        role_arn=ROLE, session_name="collector-7", sts_region="us-east-1", clock=clock
    )
    first = credentials.get_frozen_credentials()
    clock.advance(minutes=30)
    assert credentials.get_frozen_credentials() is first
    assert caller_arn(first, local_sts).endswith("assumed-role/amp-writer/collector-7")


def test_web_identity_token_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, local_sts: str, capture_server: CaptureServer
) -> None:
    # IRSA: the pod gets a projected token file and a role ARN, and no keys at all.
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.sig")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa-amp")
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "irsa-session")
    monkeypatch.setenv("AWS_REGION", "us-east-1")

    credentials = resolve_credentials()
    assert credential_source(credentials) == "assume-role-with-web-identity"
    recording = Recording(credentials)
    clock = Clock(datetime.now(timezone.utc))
    requests.post(
        capture_server.url + "/w",
        data=b"body",
        auth=SigV4Auth(region="us-east-1", credentials=recording, clock=clock),
    )

    (frozen,) = recording.handed_out
    assert frozen.access_key.startswith("ASIA")
    assert verified(capture_server.requests[0], recording, clock())
    assert caller_arn(frozen, local_sts).endswith("assumed-role/irsa-amp/irsa-session")


@pytest.mark.usefixtures("base_keys")
def test_sts_region_falls_back_to_aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    credentials = resolve_credentials(role_arn=ROLE)
    assert credentials.get_frozen_credentials().access_key.startswith("ASIA")
