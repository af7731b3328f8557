"""Checks on text from outside that ends up in an HTTP header, a URL or a log line.

Headers, tokens and proxy URLs may carry secrets, so no message here repeats the value: it
says what kind of character is wrong, never which text held it. A value that may be shown
goes through `readers.quote`, which escapes it into one clean line.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from upstream_prw.config.readers import as_str, quote
from upstream_prw.errors import ConfigError

__all__ = [
    "check_header_text",
    "check_label_value",
    "check_url",
    "unprintable",
]

_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Parser messages that hold none of the URL's text and can be shown as they are.
_SAFE_URL_PROBLEMS = ("Port out of range 0-65535", "Invalid IPv6 URL")
_PERCENT_ENCODE = "percent-encode any /, ?, # or @ in the user name or password"


def _kind(char: str) -> str:
    if char in _LINE_BREAKS:
        return "a line break"
    category = unicodedata.category(char)
    if category == "Cc":
        return "a control character"
    if category == "Cs":
        return "a lone surrogate"
    return "a non-printable character"


def unprintable(text: str) -> str | None:
    """What the first character `str.isprintable` rejects is ("a line break", ...), or None."""
    if text.isprintable():
        return None
    return next(_kind(char) for char in text if not char.isprintable())


def check_header_text(value: str, path: str, subject: str = "") -> None:
    """Text that goes into an HTTP header as it is: printable Latin-1, no outer whitespace.

    `requests` and `http.client` would refuse anything else at send time, echoing the value.
    """
    if value != value.strip():
        raise ConfigError(path, f"{subject}must not begin or end with whitespace")
    kind = unprintable(value)
    if kind is not None:
        raise ConfigError(path, f"{subject}must not contain {kind}")
    if not value.isascii():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ConfigError(
                path, f"{subject}must hold only Latin-1 characters, all an HTTP header can carry"
            ) from None


def check_label_value(value: str, path: str) -> None:
    """A label value is any valid UTF-8 text without control characters."""
    for char in value:
        if char in _LINE_BREAKS or unicodedata.category(char) in ("Cc", "Cs"):
            raise ConfigError(path, f"label value must not contain {_kind(char)}")


def _parse_problem(error: ValueError, url: str, credentials: bool) -> str:
    text = str(error)
    if text.startswith("Port could not be cast"):
        problem = "invalid URL: the port is not a number"
    elif text in _SAFE_URL_PROBLEMS:
        problem = f"invalid URL: {text}"
    else:
        problem = "invalid URL"
    if credentials and "@" in url:
        problem += f"; {_PERCENT_ENCODE}"
    return problem


def check_url(value: object, path: str, schemes: tuple[str, ...], *, credentials: bool) -> str:
    """A URL with one of `schemes` and a host.

    With `credentials` (a proxy's URL, which may hold `user:password@`) nothing of the URL is
    ever echoed, and it must be no more than scheme, userinfo, host and port: a password with
    an unencoded `/` or `#` otherwise splits into a wrong host and a path, silently.
    """
    url = as_str(value, path)
    if not url:
        raise ConfigError(path, "must not be empty")
    kind = unprintable(url)
    if kind is not None:
        raise ConfigError(path, f"must not contain {kind}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as error:
        raise ConfigError(path, _parse_problem(error, url, credentials)) from None
    if "@" in parts.netloc and not credentials:
        raise ConfigError(path, "must not contain credentials; use basic_auth or bearer_token")
    if parts.scheme not in schemes:
        shown = "another scheme" if credentials else quote(url)
        allowed = ", ".join(schemes[:-1]) + " or " + schemes[-1]
        raise ConfigError(path, f"expected an {allowed} URL, got {shown}")
    if not parts.hostname:
        raise ConfigError(path, "URL has no host")
    if credentials and (parts.path not in ("", "/") or parts.query or parts.fragment):
        raise ConfigError(
            path,
            f"must be scheme://[user:password@]host[:port] and nothing more; {_PERCENT_ENCODE}",
        )
    return url
