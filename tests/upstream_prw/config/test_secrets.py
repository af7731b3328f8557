"""Secrets and text from outside: stripped when read, checked as header text, never echoed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from upstream_prw.config import BasicAuthSettings, RemoteWriteSettings
from upstream_prw.config.checks import check_header_text, check_url, unprintable
from upstream_prw.config.readers import join, quote
from upstream_prw.errors import ConfigError

_CASES: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "config_errors.yaml").read_text(encoding="utf-8")
)
_SECRET = "s3cr3t-VALUE"


def _error(**config: Any) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        RemoteWriteSettings.from_mapping({"endpoint": "http://h/w", **config})
    return raised.value


def test_a_secret_read_from_a_mapping_loses_surrounding_whitespace() -> None:
    settings = RemoteWriteSettings.from_mapping(
        {"endpoint": "http://h/w", "bearer_token": "\t tok-1\n"}
    )
    assert settings.bearer_token == "tok-1"
    basic = BasicAuthSettings.from_mapping({"username": "u", "password": " pw-1\r\n"})
    assert basic == BasicAuthSettings(username="u", password="pw-1")


def test_direct_construction_checks_secrets_as_header_text() -> None:
    for settings, message in [
        (dict(bearer_token="tok\n"), "bearer_token: must not begin or end with whitespace"),
        (dict(bearer_token="t\x00k"), "bearer_token: must not contain a control character"),
        (dict(bearer_token=""), "bearer_token: must not be empty"),
    ]:
        with pytest.raises(ConfigError) as raised:
            RemoteWriteSettings(endpoint="http://h/w", **settings)
        assert str(raised.value) == message
    with pytest.raises(ConfigError) as raised:
        BasicAuthSettings(username="u", password="p\nw")
    assert str(raised.value) == "password: must not contain a line break"
    assert BasicAuthSettings(username="u").password == ""  # no inline password stays allowed


def test_text_that_headers_and_labels_can_carry_is_accepted() -> None:
    settings = RemoteWriteSettings.from_mapping(
        {
            "endpoint": "http://h/w",
            "headers": {"X-Team": "Zürich Ost", "X-Empty": ""},
            "bearer_token": "tök-ÿ",
            "proxy_url": "http://us%3Aer:pa%2Fss%23x%40y@proxy:3128/",
            "external_labels": {"team": "東京 👩\u200d💻"},
        }
    )
    assert settings.headers["X-Team"] == "Zürich Ost"
    assert settings.external_labels["team"] == "東京 👩\u200d💻"
    basic = BasicAuthSettings.from_mapping({"username": "", "password": "pässwört"})
    assert (basic.username, basic.password) == ("", "pässwört")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"bearer_token": f"{_SECRET}\x00"}, "bearer_token: must not contain a control character"),
        ({"bearer_token": f"{_SECRET}\n{_SECRET}"}, "bearer_token: must not contain a line break"),
        (
            {"bearer_token": f"{_SECRET}\u2028x"},
            "bearer_token: must not contain a line break",
        ),
        (
            {"bearer_token": f"{_SECRET}☃"},
            "bearer_token: must hold only Latin-1 characters, all an HTTP header can carry",
        ),
        ({"bearer_token": _SECRET, "bearer_token_file": "/t"}, None),
        ({"bearer_token": _SECRET, "basic_auth": {"username": "u"}}, None),
        (
            {"basic_auth": {"username": "u", "password": f"{_SECRET}\x7f"}},
            "basic_auth.password: must not contain a control character",
        ),
        ({"basic_auth": {"username": "u", "password": _SECRET, "password_file": "/p"}}, None),
        (
            {"headers": {"X-Api-Key": f"{_SECRET} "}},
            "headers.X-Api-Key: header value must not begin or end with whitespace",
        ),
        (
            {"headers": {"X-Api-Key": f"{_SECRET}\udcff"}},
            "headers.X-Api-Key: header value must not contain a lone surrogate",
        ),
        ({"headers": {"Authorization": f"Bearer {_SECRET}"}, "bearer_token": "t"}, None),
        ({"headers": {"X-Api-Key": "a", "x-api-key": _SECRET}}, None),
        ({"headers": {"Content-Type": _SECRET}}, None),
        ({"proxy_url": f"http://user:{_SECRET}/x#y@proxy:3128"}, None),
        ({"proxy_url": f"ftp://user:{_SECRET}@proxy"}, None),
        ({"proxy_url": f"http://user:{_SECRET}@proxy:3128/path?q"}, None),
        ({"proxy_url": f"http://user:{_SECRET}@proxy:70000"}, None),
        ({"proxy_url": f"http://user:{_SECRET}\r@proxy:3128"}, None),
        ({"proxy_url": f"http://{_SECRET}@[v1.x"}, None),
    ],
)
def test_no_message_about_a_secret_holds_it(config: dict[str, Any], message: str | None) -> None:
    error = _error(**config)
    if message is not None:
        assert str(error) == message
    for shown in (str(error), repr(error), error.problem, error.path):
        assert _SECRET not in shown


def test_no_named_case_echoes_a_secret() -> None:
    """Every fixture case whose input holds SECRET is refused without showing it."""
    secret_cases = [case for case in _CASES.values() if "SECRET" in repr(case["config"])]
    assert len(secret_cases) >= 14
    for case in secret_cases:
        assert "SECRET" not in case["error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://alice-USER:pa/ss#x@proxy:3128",
        "http://alice-USER:pa?ss@proxy:3128",
        "http://alice-USER:1234/ss#x@proxy:3128",
        "http://alice-USER:pa@ss@proxy:99999",
        "socks5://alice-USER:pa ss@[::1",
        "gopher://alice-USER:pa-ss@proxy",
        "http://alice-USER:pa-ss@",
        "http://alice-USER:pa-ss@proxy:3128\n",
        "http://alice-USER:pa-ss@proxy:3128/#frag",
    ],
)
def test_proxy_url_errors_never_hold_the_userinfo(url: str) -> None:
    error = _error(proxy_url=url)
    assert error.path == "proxy_url"
    for part in ("alice", "USER", "pa/ss", "pa?ss", "pa@ss", "pa ss", "pa-ss", "1234/"):
        assert part not in str(error)


def test_secrets_stay_out_of_repr() -> None:
    settings = RemoteWriteSettings.from_mapping(
        {
            "endpoint": "http://h/w",
            "headers": {"X-Api-Key": f"key-{_SECRET}"},
            "proxy_url": f"http://user:{_SECRET}@proxy:3128",
            "basic_auth": {"username": "u", "password": f"\n{_SECRET}\n"},
        }
    )
    bearer = RemoteWriteSettings(endpoint="http://h/w", bearer_token=_SECRET)
    assert settings.basic_auth is not None
    for shown in (repr(settings), str(settings), repr(settings.basic_auth), repr(bearer)):
        assert _SECRET not in shown


def test_keys_and_values_in_messages_cannot_break_the_line() -> None:
    assert join("headers", "X-A") == "headers.X-A"
    assert join("headers", "X\nY") == 'headers."X\\nY"'
    assert join("", "a\u2028b") == '"a\\u2028b"'
    assert quote("Zürich") == '"Zürich"'
    assert quote("x\udcffy\x85") == '"x\\udcffy\\u0085"'
    error = _error(remote_write_queue={"enabled": "on\nforged"})
    assert str(error) == 'remote_write_queue.enabled: expected true or false, got "on\\nforged"'


def test_what_is_unprintable_is_named_by_kind() -> None:
    assert unprintable("plain text, ünïcode") is None
    assert unprintable("a\rb") == "a line break"
    assert unprintable("a\x1bb") == "a control character"
    assert unprintable("a\ud800b") == "a lone surrogate"
    assert unprintable("a\u00a0b") == "a non-printable character"


def test_check_url_returns_the_url_it_checked() -> None:
    assert check_url("socks5h://u:p@proxy:1080", "p", ("socks5h",), credentials=True) == (
        "socks5h://u:p@proxy:1080"
    )


@given(st.text(max_size=20))
def test_header_text_errors_never_repeat_the_text(middle: str) -> None:
    value = f"MARK{middle}MARK"
    try:
        check_header_text(value, "headers.X-Key", "header value ")
    except ConfigError as error:
        assert "MARK" not in str(error)
