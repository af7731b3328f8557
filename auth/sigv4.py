"""`SigV4Auth`: signs each final prepared request, or stops it from being sent.

requests runs an auth hook last, on the body and headers that go on the wire, and again for
every new request, so a retry through the session gets a fresh date and signature.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from requests import PreparedRequest
from requests.auth import AuthBase

from auth.credentials import (
    CredentialSource,
    FrozenCredentials,
    credential_source,
    describe_failure,
    renew_lock_after_fork,
    resolve_credentials,
    utc_now,
)
from auth.errors import AuthError, CredentialsError, SigningError
from auth.region import check_region, is_service_name
from auth.signing import SIGNATURE_HEADERS, host_header, sign

__all__ = ["REMOTE_WRITE_SIGNED_HEADERS", "SigV4Auth", "is_remote_write_signed"]

# Headers that reach the server exactly as set here. Hop-by-hop and client-library headers
# (connection, user-agent, accept-encoding, content-length, transfer-encoding, expect,
# proxy-*) may be added or rewritten in transit, so signing them invites 403s.
REMOTE_WRITE_SIGNED_HEADERS = frozenset(
    {"host", "content-type", "content-encoding", "x-prometheus-remote-write-version"}
)


def is_remote_write_signed(name: str) -> bool:
    """Whether the lower-cased header `name` is signed on a remote-write request."""
    return name in REMOTE_WRITE_SIGNED_HEADERS or name.startswith("x-amz-")


class SigV4Auth(AuthBase):
    """Signs requests with AWS SigV4 for `service` in `region`; never lets one go unsigned.

    `credentials` is anything with `get_frozen_credentials()` (a botocore credentials object);
    None resolves botocore's default chain on first use, once. `clock` returns the signing
    instant. Failing to get credentials raises `AuthError` out of the request call.
    """

    def __init__(
        self,
        *,
        region: str,
        service: str = "aps",
        credentials: CredentialSource | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._region = check_region(region)
        if not is_service_name(service):
            raise AuthError(f"aws_auth.service: {service!r} is not a service name, e.g. aps")
        self._service = service
        self._credentials = credentials
        self._clock = clock
        self._resolve_lock = threading.Lock()
        renew_lock_after_fork(self, "_resolve_lock")

    @property
    def region(self) -> str:
        return self._region

    @property
    def service(self) -> str:
        return self._service

    def __repr__(self) -> str:
        return f"SigV4Auth(region={self._region!r}, service={self._service!r})"

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        frozen = self._frozen_credentials()
        if not request.method or not request.url:
            raise SigningError("cannot sign a request without a method and URL")
        body = _body_bytes(request.body)
        for name in SIGNATURE_HEADERS:
            request.headers.pop(name, None)
        if not request.headers.get("Host"):
            # Send the very Host value that is signed rather than trust the client to agree.
            request.headers["Host"] = host_header(request.url)
        signature = sign(
            method=request.method,
            url=request.url,
            headers=request.headers.items(),
            body=body,
            credentials=frozen,
            region=self._region,
            service=self._service,
            when=self._clock(),
            sign_header=is_remote_write_signed,
        )
        request.headers.update(signature.headers())
        return request

    def _frozen_credentials(self) -> FrozenCredentials:
        """One consistent key set for this request, or AuthError; never None."""
        source = self._credential_source()
        try:
            frozen = source.get_frozen_credentials()
        except AuthError:
            raise
        except Exception as exc:
            raise CredentialsError(credential_source(source), describe_failure(exc)) from exc
        if frozen is None or not frozen.access_key or not frozen.secret_key:
            raise CredentialsError(
                credential_source(source), "it returned no access key id or no secret key"
            )
        return frozen

    def _credential_source(self) -> CredentialSource:
        if self._credentials is None:
            with self._resolve_lock:
                if self._credentials is None:
                    # Only a success is kept: a failed lookup is tried again next request.
                    self._credentials = resolve_credentials()
        return self._credentials


def _body_bytes(body: object) -> bytes:
    """The bytes that will be sent; the body hash must cover exactly them."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    raise SigningError(
        f"cannot sign a streamed request body ({type(body).__name__}); pass the body as bytes"
    )
