"""The official AWS SigV4 test suite, through our signing core and our verifier.

See sigv4-testsuite/README.md: fixed credentials, 2015-08-30T12:36:00Z, us-east-1, "service".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from botocore.credentials import ReadOnlyCredentials

from auth.signing import sign, sign_every_header
from auth.verify import verify

SUITE = Path(__file__).parent / "sigv4-testsuite"
WHEN = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)
CASES = sorted(p.name for p in SUITE.iterdir() if p.is_dir())


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


def parse_request(raw: bytes) -> Request:
    """Parse a suite request file, quirks included (see the README's notes for parsers)."""
    head, _, body = raw.decode("utf-8").partition("\n\n")
    lines = [line for line in head.split("\n") if line]
    words = lines[0].split(" ")
    # The path may hold a literal space: method first, version last, the target in between.
    method, target = words[0], " ".join(words[1:-1])
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[0] in " \t":  # obsolete line folding continues the previous value
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
        else:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return Request(method, target, headers, body.rstrip("\n").encode("utf-8"))


def context(case: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SUITE / case / "context.json").read_text())
    return loaded


def skip_reason(case: str) -> str | None:
    ctx = context(case)
    if not ctx["normalize"]:
        return "normalize=false keeps dot segments and repeated slashes: S3 semantics, not aps"
    if ctx.get("omit_session_token"):
        return "token added after signing and left unsigned; we always sign the session token"
    return None


def file_text(case: str, name: str) -> str:
    return (SUITE / case / name).read_bytes().decode("utf-8")


def wire_url(target: str) -> str:
    """The URL a client would request: path as given, query percent-encoded as on the wire."""
    path, has_query, query = target.partition("?")
    encoded = quote(query, safe="=&%-._~") if has_query else ""
    return f"https://example.amazonaws.com{path}{'?' if has_query else ''}{encoded}"


def test_suite_is_complete() -> None:
    assert len(CASES) == 38
    for case in CASES:
        assert (SUITE / case / "header-signed-request.txt").is_file()
    assert (SUITE / "LICENSE").is_file() and (SUITE / "NOTICE").is_file()


@pytest.mark.parametrize("case", CASES)
def test_signing_matches_vector(case: str) -> None:
    reason = skip_reason(case)
    if reason:
        pytest.skip(reason)
    ctx = context(case)
    request = parse_request((SUITE / case / "request.txt").read_bytes())
    creds = ctx["credentials"]
    signature = sign(
        method=request.method,
        url=wire_url(request.target),
        headers=request.headers,
        body=request.body if ctx["sign_body"] else b"",
        credentials=ReadOnlyCredentials(
            creds["access_key_id"], creds["secret_access_key"], creds.get("token")
        ),
        region=ctx["region"],
        service=ctx["service"],
        when=WHEN,
        sign_header=sign_every_header,
        add_content_sha256=ctx["sign_body"],
    )
    assert signature.canonical_request == file_text(case, "header-canonical-request.txt")
    assert signature.string_to_sign == file_text(case, "header-string-to-sign.txt")
    signed = parse_request((SUITE / case / "header-signed-request.txt").read_bytes())
    assert dict(signed.headers)["Authorization"] == signature.authorization
    assert signature.authorization.endswith(file_text(case, "header-signature.txt").strip())


@pytest.mark.parametrize("case", CASES)
def test_verifier_accepts_vector(case: str) -> None:
    ctx = context(case)
    if not ctx["normalize"]:
        pytest.skip("normalize=false keeps dot segments and repeated slashes: S3 semantics")
    signed = parse_request((SUITE / case / "header-signed-request.txt").read_bytes())
    creds = ctx["credentials"]
    result = verify(
        method=signed.method,
        target=signed.target,
        headers=signed.headers,
        body=signed.body,
        secrets={creds["access_key_id"]: creds["secret_access_key"]},
        now=WHEN,
        region="us-east-1",
        service="service",
    )
    assert result.ok, result.reason
    assert result.canonical_request == file_text(case, "header-canonical-request.txt")
