"""Config given as keyword arguments: the same keys, checks and error paths as a mapping.

`PrometheusRemoteWriteExporter(endpoint=..., remote_write_queue={...})` and the wrapper's
keyword forms read their keywords here. A keyword given as None counts as not given (the
Python convention, and the declarative config's "omitted or null: the default"); nested
blocks are plain mappings read by the block's own `from_mapping`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["both_given", "given_keywords", "settings_or_keywords"]

T = TypeVar("T")


def given_keywords(keywords: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords that were given a value: None stands for "not given"."""
    return {key: value for key, value in keywords.items() if value is not None}


def both_given(who: str, keywords: Mapping[str, Any]) -> TypeError:
    """The error for a call given both its settings and config keywords: it cannot mean
    anything, so it is a TypeError like any other bad call, naming the keywords."""
    names = ", ".join(sorted(keywords))
    return TypeError(f"{who}() takes settings or config keywords, not both (got {names})")


def settings_or_keywords(
    settings: T | None,
    keywords: Mapping[str, Any],
    parse: Callable[[Mapping[str, Any]], T],
    who: str,
) -> T:
    """`settings` as given, or parsed from `keywords` (an unknown or bad keyword is a
    ConfigError naming it); both at once is `both_given`."""
    given = given_keywords(keywords)
    if settings is None:
        return parse(given)
    if given:
        raise both_given(who, given)
    return settings
