"""The I/O edge: POST one encoded request, retrying per the policy, and report what happened.

Every attempt is a fresh `session.post(...)`, so an auth hook on the session (a SigV4 signer)
signs each retry anew. No retrying adapter is mounted; waits happen on the caller's stop event
so shutdown interrupts them. `send` never raises: it returns a `SendOutcome` and logs once.

Auth precedence: an `auth` already set on the session given to us wins, and `basic_auth` /
`bearer_token` from the settings are then ignored (with one warning). Otherwise they are passed
per request as `auth=`. TLS and proxy settings override the session's only when configured.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from upstream_prw.config import RemoteWriteSettings
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.errors import RetryableSendError
from upstream_prw.send.retry import RetryPolicy, parse_retry_after
from upstream_prw.send.stats import Stats
from upstream_prw.version import USER_AGENT

__all__ = ["PERMANENT_REQUEST_ERRORS", "SendOutcome", "Sender", "settle_environment"]

logger = logging.getLogger(__name__)

PERMANENT_REQUEST_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
)
"""Raised by requests for a request that can never be sent; everything else is retried."""

_BODY_LOG_CHARS = 256


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What became of one request: `status` is the last HTTP status, if any response came."""

    delivered: bool
    attempts: int
    status: int | None = None
    error: str | None = None


class _Attempt(NamedTuple):
    status: int | None
    exc: Exception | None
    retry_after: float | None
    body: str


class _BearerAuth(AuthBase):
    """`Authorization: Bearer <token>`; the token never shows in repr."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def __repr__(self) -> str:
        return "_BearerAuth(token=***)"


def _read_secret(path: str, what: str) -> str:
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:  # possibly caught mid-rotation: worth another try
        raise RetryableSendError(f"{what} {path} is empty")
    return text


def settle_environment(session: requests.Session, url: str) -> None:
    """Take proxies, CA bundle and netrc credentials from the environment once, now.

    With `trust_env` on, requests re-reads all of them on every request (about a quarter
    of its CPU per request to a loopback receiver); an exporter posting to one endpoint
    for the life of the process can read them at start. Settings already on the session win.
    """
    if not session.trust_env:
        return
    for scheme, proxy in requests.utils.get_environ_proxies(url).items():
        session.proxies.setdefault(scheme, proxy)
    if session.verify is True:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
    if session.auth is None:
        netrc = requests.utils.get_netrc_auth(url)
        if netrc:
            session.auth = HTTPBasicAuth(*netrc)
    session.trust_env = False


class Sender:
    """Delivers `EncodedRequest`s to one remote-write endpoint."""

    def __init__(
        self,
        settings: RemoteWriteSettings,
        session: requests.Session | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        stats: Stats | None = None,
    ) -> None:
        self._settings = settings
        self._policy = RetryPolicy.from_settings(
            settings.retry_on_failure, permanent_errors=PERMANENT_REQUEST_ERRORS
        )
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            settle_environment(session, settings.endpoint)
        self._session = session
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = random.Random() if rng is None else rng
        self.stats = Stats() if stats is None else stats
        self._headers = {
            **settings.headers,
            "Content-Encoding": "snappy",
            "Content-Type": "application/x-protobuf",
            "X-Prometheus-Remote-Write-Version": "0.1.0",
            "User-Agent": USER_AGENT,
        }
        tls = settings.tls
        self._verify: bool | str | None = tls.ca_file
        if tls.insecure_skip_verify:
            self._verify = False
            logger.warning(
                "TLS certificate verification is disabled for %s (tls.insecure_skip_verify)",
                settings.endpoint,
            )
        self._cert: str | tuple[str, str] | None = tls.cert_file
        if tls.cert_file is not None and tls.key_file is not None:
            self._cert = (tls.cert_file, tls.key_file)
        proxy = settings.proxy_url
        self._proxies = {"http": proxy, "https": proxy} if proxy is not None else None
        self._secrets = self._static_secrets()
        self._warned_session_auth = False
        self._closed = False

    def __repr__(self) -> str:
        return f"Sender(endpoint={self._settings.endpoint!r})"

    def _static_secrets(self) -> tuple[str, ...]:
        found = [self._settings.bearer_token or ""]
        if self._settings.basic_auth is not None:
            found.append(self._settings.basic_auth.password)
        if self._settings.proxy_url is not None:
            found.append(urlsplit(self._settings.proxy_url).password or "")
        return tuple(s for s in found if s)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _auth(self) -> AuthBase | None:
        settings = self._settings
        configured = settings.basic_auth is not None or settings.bearer_token is not None
        configured = configured or settings.bearer_token_file is not None
        if self._session.auth is not None:
            if configured and not self._warned_session_auth:
                self._warned_session_auth = True
                logger.warning("the session has its own auth; ignoring basic_auth/bearer_token")
            return None
        basic = settings.basic_auth
        if basic is not None:
            password = basic.password
            if basic.password_file is not None:
                password = _read_secret(basic.password_file, "basic_auth.password_file")
            return HTTPBasicAuth(basic.username, password)
        if settings.bearer_token_file is not None:
            return _BearerAuth(_read_secret(settings.bearer_token_file, "bearer_token_file"))
        if settings.bearer_token is not None:
            return _BearerAuth(settings.bearer_token)
        return None

    def _attempt(self, request: EncodedRequest) -> _Attempt:
        try:
            response = self._session.post(
                self._settings.endpoint,
                data=request.payload,
                headers=self._headers,
                auth=self._auth(),
                timeout=self._settings.timeout,
                verify=self._verify,
                cert=self._cert,
                proxies=self._proxies,
                allow_redirects=False,  # a redirected POST may arrive as a body-less GET
            )
        except Exception as exc:  # an auth hook may raise anything; classify() decides
            return _Attempt(None, exc, None, "")
        status = response.status_code
        if 200 <= status < 300:
            return _Attempt(status, None, None, "")
        body = response.content[: _BODY_LOG_CHARS * 4].decode("utf-8", "replace")
        body = body.strip()[:_BODY_LOG_CHARS]
        header = response.headers.get("Retry-After")
        retry_after = None if header is None else parse_retry_after(header, self._wall_clock())
        return _Attempt(status, None, retry_after, body)

    def _describe(self, attempt: _Attempt) -> str:
        if attempt.exc is not None:
            return self._redact(f"{type(attempt.exc).__name__}: {attempt.exc}")
        return f"HTTP {attempt.status}: {attempt.body}"

    def send(self, request: EncodedRequest, stop: threading.Event) -> SendOutcome:
        """POST `request` until it is accepted, rejected, out of time, or `stop` is set."""
        start = self._clock()
        attempts = 0
        while True:
            attempts += 1
            result = self._attempt(request)
            decision = self._policy.classify(result.status, result.exc)
            if decision == "success":
                self.stats.record_sent(request.samples)
                return SendOutcome(True, attempts, result.status)
            error = self._describe(result)
            if decision == "permanent":
                self.stats.record_failed(request.samples)
                if result.exc is None:
                    logger.error("remote write rejected with %s: %s", result.status, result.body)
                else:
                    logger.error("remote write request cannot be sent: %s", error)
                return SendOutcome(False, attempts, result.status, error)
            elapsed = self._clock() - start
            delay = self._policy.next_delay(attempts, elapsed, self._rng, result.retry_after)
            if delay is None:
                self.stats.record_failed(request.samples)
                logger.error(
                    "remote write failed after %d attempt(s) in %.1fs, %d samples lost: %s",
                    attempts,
                    elapsed,
                    request.samples,
                    error,
                )
                return SendOutcome(False, attempts, result.status, error)
            logger.debug(
                "remote write attempt %d failed (%s); retry in %.3fs", attempts, error, delay
            )
            if stop.wait(delay):
                self.stats.record_failed(request.samples)
                logger.warning(
                    "remote write abandoned at shutdown after %d attempt(s): %s", attempts, error
                )
                return SendOutcome(False, attempts, result.status, error)
            self.stats.record_retry()

    def close(self) -> None:
        """Close the session if we created it; a session given to us belongs to the caller."""
        if self._owns_session and not self._closed:
            self._closed = True
            self._session.close()
