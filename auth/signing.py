"""The SigV4 signing core: botocore's named steps, run at an instant we choose.

botocore's `add_auth` reads the wall clock itself, so it is not called; its public steps
(canonical request, string to sign, signature, scope) are, on an `AWSRequest` carrying the
final method, URL, headers and body. The caller decides which headers are signed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import botocore.auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.compat import HTTPHeaders  # type: ignore[import-untyped]

from auth.credentials import FrozenCredentials

__all__ = ["SIGNATURE_HEADERS", "Signature", "host_header", "sign", "sign_every_header"]

_log = logging.getLogger(__name__)

ALGORITHM = "AWS4-HMAC-SHA256"
# Headers the signer owns: any copy already on a request is stale and is replaced.
SIGNATURE_HEADERS = (
    "Authorization",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True, repr=False)
class Signature:
    """What signing adds to a request, plus the intermediate strings for diagnosis."""

    amz_date: str
    authorization: str
    content_sha256: str | None
    security_token: str | None
    canonical_request: str
    string_to_sign: str

    def headers(self) -> dict[str, str]:
        """The headers to set on the outgoing request."""
        added = {"X-Amz-Date": self.amz_date}
        if self.content_sha256 is not None:
            added["X-Amz-Content-Sha256"] = self.content_sha256
        if self.security_token is not None:
            added["X-Amz-Security-Token"] = self.security_token
        added["Authorization"] = self.authorization
        return added

    def __repr__(self) -> str:
        return f"Signature(amz_date={self.amz_date!r})"


def sign_every_header(name: str) -> bool:
    """Sign all headers, as the official test vectors do."""
    return True


def host_header(url: str) -> str:
    """The Host value an HTTP client sends for `url`: no userinfo, no default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def sign(
    *,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    credentials: FrozenCredentials,
    region: str,
    service: str,
    when: datetime,
    sign_header: Callable[[str], bool] = sign_every_header,
    add_content_sha256: bool = True,
) -> Signature:
    """Sign one request with one frozen credential set at instant `when`.

    `sign_header` gets each lower-cased header name and says whether to sign it; Host is
    always signed (taken from `url` when absent). Repeated header names keep their order.
    """
    payload_hash = hashlib.sha256(body).hexdigest()
    amz_date = _utc(when).strftime("%Y%m%dT%H%M%SZ")
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers[name] = value  # appends: repeated names stay separate
    for name in SIGNATURE_HEADERS:
        del request.headers[name]
    request.headers["X-Amz-Date"] = amz_date
    if credentials.token:
        request.headers["X-Amz-Security-Token"] = credentials.token
    if add_content_sha256:
        request.headers["X-Amz-Content-Sha256"] = payload_hash
    request.context["timestamp"] = amz_date

    signer = _StepSigner(credentials, service, region, sign_header, payload_hash)
    canonical_request: str = signer.canonical_request(request)
    string_to_sign: str = signer.string_to_sign(request, canonical_request)
    signature: str = signer.signature(string_to_sign, request)
    signed_names: str = signer.signed_headers(signer.headers_to_sign(request))
    authorization = (
        f"{ALGORITHM} Credential={signer.scope(request)}, "
        f"SignedHeaders={signed_names}, Signature={signature}"
    )
    if _log.isEnabledFor(logging.DEBUG):
        shown = _redact(canonical_request, credentials.token)
        _log.debug("SigV4 canonical request:\n%s", shown)
        _log.debug("SigV4 string to sign:\n%s", string_to_sign)
    return Signature(
        amz_date=amz_date,
        authorization=authorization,
        content_sha256=payload_hash if add_content_sha256 else None,
        security_token=credentials.token or None,
        canonical_request=canonical_request,
        string_to_sign=string_to_sign,
    )


class _StepSigner(botocore.auth.SigV4Auth):  # type: ignore[misc]
    """botocore's SigV4 with our choice of signed headers and a body hashed only once."""

    def __init__(
        self,
        credentials: FrozenCredentials,
        service: str,
        region: str,
        sign_header: Callable[[str], bool],
        payload_hash: str,
    ) -> None:
        super().__init__(credentials, service, region)
        self._sign_header = sign_header
        self._payload_hash = payload_hash

    def headers_to_sign(self, request: Any) -> Any:
        selected = HTTPHeaders()
        for name, value in request.headers.items():
            lowered = name.lower()
            if lowered == "host" or self._sign_header(lowered):
                selected[lowered] = value
        if "host" not in selected:
            selected["host"] = host_header(request.url)
        return selected

    def payload(self, request: Any) -> str:
        return self._payload_hash


def _utc(when: datetime) -> datetime:
    """Aware times convert to UTC; naive ones are taken to be UTC already."""
    return when.astimezone(timezone.utc) if when.tzinfo else when


def _redact(text: str, token: str | None) -> str:
    return text.replace(token, "<session token redacted>") if token else text
