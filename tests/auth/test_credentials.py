"""Credential resolution: botocore's default chain, with what it tried and who answered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from auth.credentials import credential_source, resolve_credentials
from auth.errors import CredentialsError, NoCredentialsError, RegionError
from auth.sigv4 import SigV4Auth
from tests.auth.conftest import CaptureServer
from tests.auth.fakes import ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, Clock, static_credentials

ROLE = "arn:aws:iam::123456789012:role/amp-writer"


def test_environment_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    credentials = resolve_credentials()
    assert credential_source(credentials) == "env"
    assert credentials.get_frozen_credentials().access_key == ACCESS_KEY


def test_named_profile_from_the_shared_credentials_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shared = tmp_path / "credentials"
    shared.write_text(
        f"[writer]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(shared))
    credentials = resolve_credentials(profile="writer")
    assert credential_source(credentials) == "shared-credentials-file"


def test_unknown_profile_is_named() -> None:
    with pytest.raises(CredentialsError, match=r"profile 'nope'.*not in the AWS config"):
        resolve_credentials(profile="nope")


def test_empty_chain_lists_what_it_tried() -> None:
    with pytest.raises(NoCredentialsError) as raised:
        resolve_credentials()
    for provider in ("env", "assume-role-with-web-identity", "container-role", "iam-role"):
        assert provider in raised.value.tried
        assert provider in str(raised.value)
    assert "AWS_ACCESS_KEY_ID" in str(raised.value)


def test_assume_role_without_base_credentials_fails_on_the_base() -> None:
    with pytest.raises(NoCredentialsError):
        resolve_credentials(role_arn=ROLE, sts_region="us-east-1")


def test_assume_role_needs_an_sts_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    with pytest.raises(RegionError, match=r"aws_auth\.sts_region"):
        resolve_credentials(role_arn=ROLE)


def test_explicit_credentials_have_a_source_name() -> None:
    assert credential_source(static_credentials()) == "test-static"
    assert credential_source(object()) == "explicit credentials"


def test_container_endpoint_as_eks_pod_identity_uses_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capture_server: CaptureServer
) -> None:
    # EKS Pod Identity and ECS hand out credentials from a local HTTP endpoint; botocore
    # accepts loopback addresses for it, so the capture server can play the agent.
    token_file = tmp_path / "eks-pod-identity-token"
    token_file.write_text("pod-identity-token")
    capture_server.status = 200
    capture_server.reply = lambda _: json.dumps(
        {
            "AccessKeyId": ACCESS_KEY,
            "SecretAccessKey": SECRET_KEY,
            "Token": SESSION_TOKEN,
            "Expiration": "2099-01-01T00:00:00Z",
        }
    ).encode()
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", capture_server.url + "/v1/creds")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))

    credentials = resolve_credentials()

    assert credential_source(credentials) == "container-role"
    assert credentials.get_frozen_credentials().token == SESSION_TOKEN
    (agent_call,) = capture_server.requests
    assert agent_call.header("Authorization") == "pod-identity-token"


def test_sts_refusal_surfaces_as_auth_error_and_nothing_is_sent(
    monkeypatch: pytest.MonkeyPatch, capture_server: CaptureServer
) -> None:
    # The capture server plays an STS that refuses: only the AssumeRole call may reach it.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", capture_server.url)
    capture_server.status = 403
    capture_server.reply = lambda _: (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
        b"<Message>not authorized to perform sts:AssumeRole</Message></Error></ErrorResponse>"
    )
    credentials = resolve_credentials(role_arn=ROLE, sts_region="us-east-1")
    hook = SigV4Auth(region="us-east-1", credentials=credentials, clock=Clock())

    with pytest.raises(CredentialsError, match=r"assume-role.*AccessDenied") as raised:
        requests.post(capture_server.url + "/remote_write", data=b"body", auth=hook)

    assert SECRET_KEY not in str(raised.value)
    assert [r.target for r in capture_server.requests] == ["/"]
    assert b"Action=AssumeRole" in capture_server.requests[0].body


def test_unknown_profile_from_aws_profile_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "from-env")
    with pytest.raises(CredentialsError, match=r"profile 'from-env'"):
        resolve_credentials()
