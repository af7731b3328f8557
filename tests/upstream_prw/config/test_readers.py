"""The typed readers other packages reuse for their own config blocks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upstream_prw.config.readers import (
    Reader,
    as_duration,
    as_str,
    check_keys,
    construct,
    optional,
    parse_duration,
    read_fields,
)
from upstream_prw.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class _AssumeRole:
    arn: str
    duration: float = 900.0

    def __post_init__(self) -> None:
        if not self.arn.startswith("arn:"):
            raise ConfigError("arn", "expected an ARN")

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> _AssumeRole:
        readers: dict[str, Reader] = {"arn": as_str, "duration": as_duration}
        return construct(cls, read_fields(data, path, readers, required=("arn",)), path)


@dataclass(frozen=True, kw_only=True)
class _AwsAuth:
    region: str | None = None
    assume_role: _AssumeRole | None = None

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> _AwsAuth:
        readers: dict[str, Reader] = {
            "region": optional(as_str),
            "assume_role": optional(_AssumeRole.from_mapping),
        }
        return construct(cls, read_fields(data, path, readers), path)


def test_a_foreign_block_nests_and_reports_full_paths() -> None:
    parsed = _AwsAuth.from_mapping(
        {"region": "eu-west-1", "assume_role": {"arn": "arn:aws:iam::1:role/r", "duration": "1h"}},
        "aws_auth",
    )
    assert parsed.assume_role == _AssumeRole(arn="arn:aws:iam::1:role/r", duration=3600.0)
    for data, message in [
        ({"assume_role": {"arn": 5}}, "aws_auth.assume_role.arn: expected a string, got int"),
        ({"assume_role": {"arn": "role/r"}}, "aws_auth.assume_role.arn: expected an ARN"),
        ({"assume_role": {}}, "aws_auth.assume_role.arn: required key is missing"),
        ({"regoin": "x"}, 'aws_auth.regoin: unknown key; did you mean "region"?'),
    ]:
        with pytest.raises(ConfigError) as raised:
            _AwsAuth.from_mapping(data, "aws_auth")
        assert str(raised.value) == message
    assert _AwsAuth.from_mapping({"region": None}) == _AwsAuth()


def test_block_level_error_without_a_key_keeps_the_block_path() -> None:
    def refuse(**kwargs: object) -> None:
        raise ConfigError("", "not allowed here")

    with pytest.raises(ConfigError, match=r"^outer.block: not allowed here$"):
        construct(refuse, {}, "outer.block")


def test_unknown_keys_are_reported_in_input_order() -> None:
    with pytest.raises(ConfigError, match=r"^p.first: "):
        check_keys({"ok": 1, "first": 2, "second": 3}, {"ok"}, "p")


_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(sorted(_UNITS))), min_size=1))
def test_go_style_durations_add_up(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{amount}{unit}" for amount, unit in parts)
    expected = sum(amount * _UNITS[unit] for amount, unit in parts)
    assert parse_duration(text) == pytest.approx(expected)


@given(st.text(alphabet="0123456789.-+e hdmsxyz", max_size=8))
def test_parse_duration_never_raises(text: str) -> None:
    result = parse_duration(text)
    assert result is None or result >= 0
