"""The verifier's verdicts, starting from official signed requests and breaking one thing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from auth.verify import Verification, verify
from tests.auth.test_sigv4_testsuite import SUITE, WHEN, Request, parse_request

SECRETS = {"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}


def signed(case: str) -> Request:
    return parse_request((SUITE / case / "header-signed-request.txt").read_bytes())


def check(request: Request, **overrides: object) -> Verification:
    arguments: dict[str, object] = {
        "method": request.method,
        "target": request.target,
        "headers": request.headers,
        "body": request.body,
        "secrets": SECRETS,
        "now": WHEN,
    }
    arguments.update(overrides)
    return verify(**arguments)  # type: ignore[arg-type]


def without(request: Request, name: str) -> list[tuple[str, str]]:
    return [(n, v) for n, v in request.headers if n.lower() != name]


def replaced(request: Request, name: str, value: str) -> list[tuple[str, str]]:
    return [(n, value if n.lower() == name else v) for n, v in request.headers]


def test_untouched_request_verifies() -> None:
    result = check(signed("post-x-www-form-urlencoded"))
    assert result == Verification(
        True, "ok", "AKIDEXAMPLE", result.canonical_request, result.string_to_sign
    )


@pytest.mark.parametrize(
    ("case", "change", "reason"),
    [
        ("get-vanilla", lambda r: {"method": "POST"}, "signature mismatch"),
        ("get-vanilla", lambda r: {"target": "/other"}, "signature mismatch"),
        (
            "get-vanilla",
            lambda r: {"headers": replaced(r, "host", "example.com")},
            "signature mismatch",
        ),
        ("get-vanilla", lambda r: {"secrets": {"AKIDEXAMPLE": "wrong"}}, "signature mismatch"),
        (
            "get-vanilla",
            lambda r: {"now": WHEN + timedelta(seconds=312)},
            "request time skewed by 312s",
        ),
        (
            "get-vanilla",
            lambda r: {"now": WHEN - timedelta(minutes=20)},
            "request time skewed by 1200s",
        ),
        ("get-vanilla", lambda r: {"secrets": {}}, "unknown access key"),
        ("get-vanilla", lambda r: {"secrets": lambda key: None}, "unknown access key"),
        (
            "get-vanilla",
            lambda r: {"headers": without(r, "x-amz-date")},
            "missing header x-amz-date",
        ),
        (
            "get-vanilla",
            lambda r: {"headers": without(r, "authorization")},
            "missing header authorization",
        ),
        (
            "post-header-key-sort",
            lambda r: {"headers": without(r, "my-header1")},
            "missing header my-header1",
        ),
        ("post-x-www-form-urlencoded", lambda r: {"body": b"Param1=value2"}, "body hash mismatch"),
        (
            "get-vanilla",
            lambda r: {"region": "eu-west-1"},
            "credential scoped to region us-east-1, expected eu-west-1",
        ),
        (
            "get-vanilla",
            lambda r: {"service": "aps"},
            "credential scoped to service service, expected aps",
        ),
        (
            "get-vanilla",
            lambda r: {"headers": replaced(r, "x-amz-date", "2015-08-30")},
            "malformed x-amz-date",
        ),
        (
            "get-vanilla",
            lambda r: {"headers": replaced(r, "authorization", "Basic abc")},
            "unsupported algorithm 'Basic'",
        ),
    ],
)
def test_rejections_say_what_failed(
    case: str, change: Callable[[Request], dict[str, object]], reason: str
) -> None:
    result = check(signed(case), **change(signed(case)))
    assert (result.ok, result.reason) == (False, reason)


def test_a_single_changed_signature_digit_fails() -> None:
    request = signed("get-vanilla")
    authorization = dict(request.headers)["Authorization"]
    flipped = authorization[:-1] + ("0" if authorization[-1] != "0" else "1")
    result = check(request, headers=replaced(request, "authorization", flipped))
    assert result.reason == "signature mismatch"


def test_unsigned_host_is_rejected() -> None:
    request = signed("get-vanilla")
    authorization = dict(request.headers)["Authorization"].replace("host;", "")
    result = check(request, headers=replaced(request, "authorization", authorization))
    assert result.reason == "header host not signed"


def test_skew_allowance_is_configurable() -> None:
    late = WHEN + timedelta(minutes=14)
    assert check(signed("get-vanilla"), now=late, max_skew=timedelta(minutes=15)).ok
