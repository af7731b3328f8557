"""An independent SigV4 verifier, written from the specification with hashlib and hmac only.

It shares no code with the signer, so a test that signs with one and verifies with the other
checks both against the spec. The path is normalized (dot segments and repeated slashes
removed) and its segments URI-encoded once more, as every service except S3 does.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote

__all__ = ["Verification", "verify"]

_ALGORITHM = "AWS4-HMAC-SHA256"
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True, slots=True)
class Verification:
    """The verdict on one request; `reason` is "ok" or what failed first."""

    ok: bool
    reason: str
    access_key: str | None = None
    canonical_request: str = field(default="", repr=False)
    string_to_sign: str = field(default="", repr=False)


class _RejectedError(Exception):
    """Carries the reason a request fails verification."""


def verify(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    secrets: Mapping[str, str] | Callable[[str], str | None],
    now: datetime,
    max_skew: timedelta = timedelta(minutes=5),
    region: str | None = None,
    service: str | None = None,
) -> Verification:
    """Check the Authorization header of a received request.

    `target` is the raw path and query from the request line; `headers` the received
    (name, value) pairs, repeats included; `secrets` maps an access key id to its secret.
    `region` and `service`, when given, must match the credential scope.
    """
    received: dict[str, list[str]] = {}
    for name, value in headers:
        received.setdefault(name.strip().lower(), []).append(value)
    access_key = None
    try:
        auth = _parse_authorization(_single(received, "authorization"))
        access_key = auth["access_key"]
        lookup = secrets.get if isinstance(secrets, Mapping) else secrets
        secret = lookup(access_key)
        if not secret:
            raise _RejectedError("unknown access key")
        amz_date = _single(received, "x-amz-date")
        _check_time(amz_date, now, max_skew)
        _check_scope(auth, amz_date, region, service)
        payload_hash = _payload_hash(received, body)
        canonical_request = "\n".join(
            [
                method.upper(),
                _canonical_uri(target.partition("?")[0]),
                _canonical_query(target.partition("?")[2]),
                _canonical_headers(received, auth["signed_headers"]),
                auth["signed_headers"],
                payload_hash,
            ]
        )
    except _RejectedError as rejected:
        return Verification(False, str(rejected), access_key)
    string_to_sign = "\n".join(
        [_ALGORITHM, amz_date, auth["scope"], _sha256_hex(canonical_request.encode())]
    )
    expected = _signature(secret, auth["scope"], string_to_sign)
    ok = hmac.compare_digest(expected, auth["signature"])
    return Verification(
        ok, "ok" if ok else "signature mismatch", access_key, canonical_request, string_to_sign
    )


def _single(received: Mapping[str, list[str]], name: str) -> str:
    values = received.get(name)
    if not values:
        raise _RejectedError(f"missing header {name}")
    if len(values) > 1:
        raise _RejectedError(f"repeated header {name}")
    return values[0].strip()


def _parse_authorization(value: str) -> dict[str, str]:
    algorithm, _, rest = value.partition(" ")
    if algorithm != _ALGORITHM:
        raise _RejectedError(f"unsupported algorithm {algorithm!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, val = part.strip().partition("=")
        if sep:
            fields[key] = val
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise _RejectedError("malformed authorization header")
    access_key, _, scope = fields["Credential"].partition("/")
    if scope.count("/") != 3 or not scope.endswith("/aws4_request"):
        raise _RejectedError("malformed credential scope")
    names = fields["SignedHeaders"].split(";")
    if names != sorted(set(names)) or any(n != n.lower() or not n for n in names):
        raise _RejectedError("signed headers not lower-case, unique and sorted")
    for required in ("host", "x-amz-date"):
        if required not in names:
            raise _RejectedError(f"header {required} not signed")
    return {
        "access_key": access_key,
        "scope": scope,
        "signed_headers": fields["SignedHeaders"],
        "signature": fields["Signature"].lower(),
    }


def _check_time(amz_date: str, now: datetime, max_skew: timedelta) -> None:
    try:
        sent = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise _RejectedError("malformed x-amz-date") from None
    current = now.astimezone(timezone.utc) if now.tzinfo else now.replace(tzinfo=timezone.utc)
    skew = abs((current - sent).total_seconds())
    if skew > max_skew.total_seconds():
        raise _RejectedError(f"request time skewed by {int(skew)}s")


def _check_scope(
    auth: Mapping[str, str], amz_date: str, region: str | None, service: str | None
) -> None:
    date, scope_region, scope_service, _ = auth["scope"].split("/")
    if date != amz_date[:8]:
        raise _RejectedError("credential scope date differs from x-amz-date")
    if region is not None and scope_region != region:
        raise _RejectedError(f"credential scoped to region {scope_region}, expected {region}")
    if service is not None and scope_service != service:
        raise _RejectedError(f"credential scoped to service {scope_service}, expected {service}")


def _payload_hash(received: Mapping[str, list[str]], body: bytes) -> str:
    actual = _sha256_hex(body)
    claimed = received.get("x-amz-content-sha256")
    if claimed is None:
        return actual
    value = claimed[-1].strip()
    if value == _UNSIGNED_PAYLOAD:
        return value
    if value.lower() != actual:
        raise _RejectedError("body hash mismatch")
    return actual


def _canonical_uri(path: str) -> str:
    """Remove dot segments and empty segments, then URI-encode each segment."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    trailing = "/" if path.endswith("/") and segments else ""
    return "/" + "/".join(quote(s, safe="") for s in segments) + trailing


def _canonical_query(query: str) -> str:
    """Each name and value decoded, URI-encoded per the spec, sorted by name then value."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _canonical_headers(received: Mapping[str, list[str]], signed_headers: str) -> str:
    lines = []
    for name in signed_headers.split(";"):
        values = received.get(name)
        if not values:
            raise _RejectedError(f"missing header {name}")
        lines.append(f"{name}:" + ",".join(" ".join(v.split()) for v in values) + "\n")
    return "".join(lines)


def _signature(secret: str, scope: str, string_to_sign: str) -> str:
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
