"""One POST of one encoded request, over by a wall-clock limit, its answer streamed and capped.

The sender decides what to do with an `Answer`; this module only makes the attempt: the
headers of the request's message, the configured auth built anew for it (so a signer signs
every retry), TLS and proxy as configured, and no redirect followed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import NamedTuple

import requests
from requests.adapters import HTTPAdapter

from upstream_prw.config import RemoteWriteSettings
from upstream_prw.config.translation import V1_MESSAGE, V2_MESSAGE
from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.send.negotiation import Written, protocol_headers, read_written
from upstream_prw.send.response import loggable, read_capped
from upstream_prw.send.retry import parse_retry_after
from upstream_prw.send.session import ConfiguredAuth
from upstream_prw.send.watchdog import WatchedAdapter, watchdog, watched
from upstream_prw.version import USER_AGENT

__all__ = ["Answer", "Transport"]

logger = logging.getLogger("upstream_prw.send")


class Answer(NamedTuple):
    """What one attempt got: a status (and the answer's parts) or the exception instead."""

    status: int | None
    exc: Exception | None
    retry_after: float | None
    body: str
    reason: str = ""
    written: Written | None = None


class Transport:
    """The session, its adapters, and how each request to the endpoint is made."""

    def __init__(
        self,
        settings: RemoteWriteSettings,
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._session = session
        self._clock = clock
        self._wall_clock = wall_clock
        self.auth = ConfiguredAuth(settings, session)
        self._watch_adapters()
        base = {**settings.headers, "User-Agent": USER_AGENT}
        self._headers = {
            message: {**base, **protocol_headers(message)} for message in (V1_MESSAGE, V2_MESSAGE)
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

    def _watch_adapters(self) -> None:
        """Let the watchdog cut attempts at their deadline, through plain adapters (those of
        a session we made, and requests' defaults); a custom adapter is its owner's."""
        for prefix, adapter in list(self._session.adapters.items()):
            if type(adapter) is HTTPAdapter:
                self._session.mount(prefix, watched(adapter))

    def after_fork_in_child(self) -> None:
        """Pooled connections are the parent's sockets, and their locks may have been held
        at the fork: plain adapters are replaced (a custom one is its owner's to renew)."""
        for prefix, adapter in list(self._session.adapters.items()):
            if type(adapter) in (HTTPAdapter, WatchedAdapter):
                self._session.mount(prefix, watched(HTTPAdapter()))

    def attempt(self, request: EncodedRequest, limit: float) -> Answer:
        """One POST, over by `limit` (on the clock) at the latest, its answer streamed."""
        with watchdog.watching(watchdog.clock() + limit - self._clock()) as watch:
            result = self._post(request, limit)
        if watch.expired and result.status is None:
            timeout = self._settings.timeout
            cut = requests.exceptions.ReadTimeout(f"no complete answer within {timeout:g}s")
            return Answer(None, cut, None, "")
        return result

    def _post(self, request: EncodedRequest, limit: float) -> Answer:
        try:
            response = self._session.post(
                self._settings.endpoint,
                data=request.payload,
                headers=self._headers[request.message],
                auth=self.auth.for_request(),
                timeout=max(limit - self._clock(), 0.001),
                verify=self._verify,
                cert=self._cert,
                proxies=self._proxies,
                allow_redirects=False,  # a redirected POST may arrive as a body-less GET
                stream=True,  # the body is read below, capped and by the deadline
            )
        except Exception as exc:  # an auth hook may raise anything; classify() decides
            return Answer(None, exc, None, "")
        try:
            status = response.status_code
            written = read_written(response.headers)
            body = read_capped(response, limit, self._clock)
            if 200 <= status < 300:
                return Answer(status, None, None, "", response.reason or "", written)
            header = response.headers.get("Retry-After")
            retry_after = None if header is None else parse_retry_after(header, self._wall_clock())
            reason = response.reason or ""
            return Answer(status, None, retry_after, loggable(body), reason, written)
        finally:
            response.close()

    def describe(self, answer: Answer) -> tuple[str, str]:
        """The failure's kind (what is logged once) and its description."""
        if answer.exc is not None:
            kind = type(answer.exc).__name__
            return kind, self.auth.redact(loggable(f"{kind}: {answer.exc}".encode()))
        kind = f"HTTP {answer.status} {loggable(answer.reason.encode())}".rstrip()
        return kind, f"HTTP {answer.status}: {answer.body or answer.reason}"
