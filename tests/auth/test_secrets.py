"""Secret keys and session tokens stay out of reprs, logs and error messages."""

from __future__ import annotations

import logging

import pytest
import requests

from auth.errors import AuthError
from auth.signing import sign
from auth.sigv4 import SigV4Auth
from tests.auth.fakes import SECRET_KEY, SESSION_TOKEN, Clock, Failing, Partial, static_credentials


def _request() -> requests.PreparedRequest:
    return requests.Request(
        "POST", "https://aps-workspaces.us-east-1.amazonaws.com/w", data=b"\x01\x02"
    ).prepare()


def _assert_clean(text: str) -> None:
    assert SECRET_KEY not in text
    assert SESSION_TOKEN not in text


def test_repr_of_the_hook_and_of_a_signature() -> None:
    hook = SigV4Auth(region="us-east-1", credentials=static_credentials(), clock=Clock())
    hook(_request())
    _assert_clean(repr(hook))
    _assert_clean(str(vars(hook).keys()))
    signature = sign(
        method="POST",
        url="https://aps-workspaces.us-east-1.amazonaws.com/w",
        headers=[],
        body=b"",
        credentials=static_credentials().get_frozen_credentials(),
        region="us-east-1",
        service="aps",
        when=Clock()(),
    )
    assert repr(signature) == "Signature(amz_date='20240517T093000Z')"


def test_debug_log_shows_the_strings_to_compare_with_a_403_but_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    SigV4Auth(region="us-east-1", credentials=static_credentials(), clock=Clock())(_request())
    assert "SigV4 canonical request:\nPOST\n/w\n" in caplog.text
    assert "x-amz-security-token:<session token redacted>" in caplog.text
    assert "SigV4 string to sign:\nAWS4-HMAC-SHA256\n20240517T093000Z\n" in caplog.text
    _assert_clean(caplog.text)


@pytest.mark.parametrize(
    "credentials",
    [
        None,  # the default chain, empty in tests
        Partial(),
        Failing(RuntimeError("throttled")),
    ],
)
def test_error_messages(caplog: pytest.LogCaptureFixture, credentials: object) -> None:
    caplog.set_level(logging.DEBUG)
    hook = SigV4Auth(region="us-east-1", credentials=credentials, clock=Clock())  # type: ignore[arg-type]
    with pytest.raises(AuthError) as raised:
        hook(_request())
    _assert_clean(str(raised.value))
    _assert_clean(repr(raised.value))
    _assert_clean(caplog.text)
