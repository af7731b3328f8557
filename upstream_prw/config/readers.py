"""Typed readers for configuration mappings, shared by every config block in the distribution.

Each reader takes `(value, path)` and returns the checked value or raises `ConfigError` whose
message starts with `path`. A block's `from_mapping(data, path)` has the same shape, so blocks
nest: `read_fields(data, path, {"tls": TLSSettings.from_mapping, ...})`. Nothing here does I/O
or fills in defaults; defaults live in the dataclass fields.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from upstream_prw.errors import ConfigError

__all__ = [
    "Reader",
    "as_bool",
    "as_duration",
    "as_int",
    "as_mapping",
    "as_number",
    "as_seconds",
    "as_secret",
    "as_str",
    "as_str_map",
    "check_keys",
    "construct",
    "join",
    "optional",
    "parse_duration",
    "quote",
    "read_fields",
    "type_name",
]

T = TypeVar("T")
Reader = Callable[[object, str], Any]
"""A reader: `(value, path) -> checked value`, raising ConfigError(path, ...)."""

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def quote(text: str) -> str:
    """`text` in double quotes, anything non-printable escaped: safe in a one-line message."""
    return json.dumps(text, ensure_ascii=not text.isprintable())


def join(path: str, key: str) -> str:
    """The dotted path of `key` inside the block at `path`; a key with a line break or other
    non-printable character in it is shown quoted and escaped, so it cannot forge a log line."""
    shown = key if key.isprintable() else quote(key)
    return f"{path}.{shown}" if path else shown


def type_name(value: object) -> str:
    """The name users see for a value's type: YAML's `null` rather than `NoneType`."""
    return "null" if value is None else type(value).__name__


def _shown(value: object) -> str:
    """A bad string value in double quotes, anything else by its type name."""
    return quote(value) if isinstance(value, str) else type_name(value)


def as_mapping(value: object, path: str) -> Mapping[str, object]:
    """A mapping whose keys are all strings."""
    if not isinstance(value, Mapping):
        raise ConfigError(path, f"expected a mapping, got {type_name(value)}")
    for key in value:
        if not isinstance(key, str):
            raise ConfigError(path, f"keys must be strings, got {type_name(key)} {key!r}")
    return value


def check_keys(data: Mapping[str, object], allowed: Collection[str], path: str) -> None:
    """Reject the first unknown key (in input order), suggesting the closest valid one."""
    for key in data:
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
        if close:
            hint = f'did you mean "{close[0]}"?'
        else:
            hint = "valid keys: " + ", ".join(sorted(allowed))
        raise ConfigError(join(path, key), f"unknown key; {hint}")


def as_str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(path, f"expected a string, got {type_name(value)}")
    return value


def as_secret(value: object, path: str) -> str:
    """A token or password, without surrounding whitespace: the newline a Kubernetes secret
    ends with is not part of it (secret files are stripped the same way when read)."""
    secret = as_str(value, path).strip()
    if not secret:
        raise ConfigError(path, "must not be empty")
    return secret


def as_bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(path, f"expected true or false, got {_shown(value)}")
    return value


def as_int(value: object, path: str, *, minimum: int | None = None) -> int:
    """An int (a bool is not one); `minimum` is inclusive."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(path, f"expected an integer, got {_shown(value)}")
    if minimum is not None and value < minimum:
        raise ConfigError(path, f"must be at least {minimum}, got {value}")
    return value


def as_number(
    value: object, path: str, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """A finite int or float (not a bool, not a numeric string); bounds are inclusive."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(path, f"expected a number, got {_shown(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(path, f"expected a finite number, got {value}")
    if minimum is not None and number < minimum:
        raise ConfigError(path, f"must be at least {minimum:g}, got {value}")
    if maximum is not None and number > maximum:
        raise ConfigError(path, f"must be at most {maximum:g}, got {value}")
    return number


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration ("50ms", "1m30s", "1.5h", "0"), or None if malformed."""
    text = text.strip()
    if text == "0":
        return 0.0
    total = 0.0
    pos = 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    return total if text else None


def as_seconds(value: object, path: str) -> float:
    """A non-negative number of seconds (int or float, not bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(path, f'expected a duration like "30s", got {_shown(value)}')
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigError(path, f"expected a non-negative finite duration, got {value}")
    return seconds


def as_duration(value: object, path: str) -> float:
    """A duration string ("50ms", "1m30s") or a number of seconds, as float seconds."""
    if isinstance(value, str):
        seconds = parse_duration(value)
        if seconds is None:
            raise ConfigError(path, f'expected a duration like "30s", got {_shown(value)}')
        return seconds
    return as_seconds(value, path)


def as_str_map(value: object, path: str) -> Mapping[str, str]:
    """A string-to-string mapping, copied into a read-only view."""
    data = as_mapping(value, path)
    for key, item in data.items():
        as_str(item, join(path, key))
    return MappingProxyType({key: str(item) for key, item in data.items()})


def optional(reader: Callable[[object, str], T]) -> Callable[[object, str], T | None]:
    """`reader`, but an explicit null is allowed and kept as None."""

    def read(value: object, path: str) -> T | None:
        return None if value is None else reader(value, path)

    return read


def read_fields(
    data: object,
    path: str,
    readers: Mapping[str, Reader],
    *,
    required: Collection[str] = (),
) -> dict[str, Any]:
    """Check a block and read the keys it has; absent keys stay absent so field defaults apply."""
    block = as_mapping(data, path)
    check_keys(block, readers.keys(), path)
    for key in required:
        if key not in block:
            raise ConfigError(join(path, key), "required key is missing")
    return {key: readers[key](value, join(path, key)) for key, value in block.items()}


def construct(factory: Callable[..., T], kwargs: Mapping[str, Any], path: str) -> T:
    """Call a block's constructor, re-rooting its validation errors at `path`."""
    try:
        return factory(**kwargs)
    except ConfigError as error:
        where = join(path, error.path) if error.path else path
        raise ConfigError(where, error.problem) from None
