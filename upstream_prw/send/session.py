"""What a request carries besides its body: the configured auth, and the environment's
proxies, CA bundle and netrc, read once.

Auth precedence: an `auth` already set on the session given to us wins, and `basic_auth` /
`bearer_token` from the settings are then ignored (with one warning). Otherwise they are
passed per request as `auth=`. A `.netrc` entry never replaces credentials the settings give.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from upstream_prw.config import RemoteWriteSettings
from upstream_prw.errors import RetryableSendError

__all__ = [
    "BearerAuth",
    "ConfiguredAuth",
    "has_configured_auth",
    "read_secret",
    "settle_environment",
]

logger = logging.getLogger("upstream_prw.send")


class BearerAuth(AuthBase):
    """`Authorization: Bearer <token>`; the token never shows in repr."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"


def read_secret(path: str, what: str) -> str:
    """A secret kept in a file, without surrounding whitespace (a Kubernetes secret's
    trailing newline, say). Read at every request, so a rotated file is picked up."""
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:  # possibly caught mid-rotation: worth another try
        raise RetryableSendError(f"{what} {path} is empty")
    return text


def settle_environment(session: requests.Session, url: str, *, netrc: bool = True) -> None:
    """Take proxies, CA bundle and (with `netrc`) netrc credentials from the environment
    once, now.

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
    if netrc and session.auth is None:
        found = requests.utils.get_netrc_auth(url)
        if found:
            session.auth = HTTPBasicAuth(*found)
    session.trust_env = False


def has_configured_auth(settings: RemoteWriteSettings) -> bool:
    """Whether the settings name credentials (which a `.netrc` entry must not replace)."""
    return (
        settings.basic_auth is not None
        or settings.bearer_token is not None
        or settings.bearer_token_file is not None
    )


class ConfiguredAuth:
    """The auth the settings describe, built per request (secret files are re-read), and
    the secrets to keep out of every message."""

    def __init__(self, settings: RemoteWriteSettings, session: requests.Session) -> None:
        self._settings = settings
        self._session = session
        basic = settings.basic_auth
        self.configured = has_configured_auth(settings)
        found = [settings.bearer_token or "", basic.password if basic is not None else ""]
        if settings.proxy_url is not None:
            found.append(urlsplit(settings.proxy_url).password or "")
        self._secrets = tuple(s for s in found if s)
        self._warned = False

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def for_request(self) -> AuthBase | None:
        """The `auth=` of one request; None when the session's own auth applies."""
        settings = self._settings
        if self._session.auth is not None:
            if self.configured and not self._warned:
                self._warned = True
                logger.warning("the session has its own auth; ignoring basic_auth/bearer_token")
            return None
        basic = settings.basic_auth
        if basic is not None:
            password = basic.password
            if basic.password_file is not None:
                password = read_secret(basic.password_file, "basic_auth.password_file")
            return HTTPBasicAuth(basic.username, password)
        if settings.bearer_token_file is not None:
            return BearerAuth(read_secret(settings.bearer_token_file, "bearer_token_file"))
        if settings.bearer_token is not None:
            return BearerAuth(settings.bearer_token)
        return None
