"""The translation keys of the settings, under the OpenTelemetry Collector's names, and how
the older keys they replace are read (pure; no I/O).

`translation_strategy` replaces `add_metric_suffixes`, and `disable_scope_info` is the
inverse of `add_scope_labels`: both older keys stay, and one given together with its newer
form must agree with it. `resource_constant_labels` says which resource attributes become
labels of every series, as Prometheus' `promote_resource_attributes` and
`ignore_resource_attributes` do; `resource_to_telemetry_conversion` is "all of them".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from upstream_prw.config.readers import (
    Reader,
    as_str,
    construct,
    optional,
    quote,
    read_fields,
    type_name,
)
from upstream_prw.errors import ConfigError

__all__ = [
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "UTF8_STRATEGIES",
    "V1_MESSAGE",
    "V2_MESSAGE",
    "ResourceConstantLabels",
    "check_message",
    "check_strategy",
    "check_strategy_name",
    "resolve_scope_labels",
    "resolve_strategy",
]

V1_MESSAGE = "prometheus.WriteRequest"
V2_MESSAGE = "io.prometheus.write.v2.Request"
"""The two protobuf messages remote write sends, by the names the specification (and the
Collector's `protobuf_message` setting) gives them."""
DEFAULT_STRATEGY = "UnderscoreEscapingWithSuffixes"
WITHOUT_SUFFIXES = "UnderscoreEscapingWithoutSuffixes"
UTF8_STRATEGIES = ("NoUTF8EscapingWithSuffixes", "NoTranslation")
STRATEGIES = (DEFAULT_STRATEGY, WITHOUT_SUFFIXES, *UTF8_STRATEGIES)
"""otlptranslator's translation strategies, by the names the Collector and Prometheus use."""

_warned: set[str] = set()  # deprecated keys already warned about in this process


def _deprecated(key: str, instead: str) -> None:
    """One FutureWarning per deprecated key and process: shown to users by default."""
    if key not in _warned:
        _warned.add(key)
        warnings.warn(f"{key} is deprecated; use {instead}", FutureWarning, stacklevel=4)


def check_message(value: object, path: str = "protobuf_message") -> str:
    """`prometheus.WriteRequest` (Remote Write 1.0) or `io.prometheus.write.v2.Request`."""
    message = as_str(value, path)
    if message not in (V1_MESSAGE, V2_MESSAGE):
        raise ConfigError(path, f"expected {V1_MESSAGE} or {V2_MESSAGE}; got {quote(message)}")
    return message


def check_strategy_name(value: object, path: str = "translation_strategy") -> str:
    """One of `STRATEGIES` (whether it fits the protobuf message is checked with it)."""
    strategy = as_str(value, path)
    if strategy not in STRATEGIES:
        raise ConfigError(path, f"expected one of {', '.join(STRATEGIES)}; got {quote(strategy)}")
    return strategy


def check_strategy(value: object, path: str = "translation_strategy", *, v2: bool = False) -> str:
    """One of `STRATEGIES`; the UTF-8 ones only with Remote Write 2.0."""
    strategy = check_strategy_name(value, path)
    if strategy in UTF8_STRATEGIES and not v2:
        raise ConfigError(
            path,
            f"{strategy} keeps UTF-8 metric and label names, which only Remote Write 2.0 "
            f"carries; set protobuf_message: {V2_MESSAGE}, or use "
            f"{DEFAULT_STRATEGY} or {WITHOUT_SUFFIXES}",
        )
    return strategy


def resolve_strategy(strategy: str, add_metric_suffixes: bool | None, *, v2: bool = False) -> str:
    """The strategy in effect; "" is not given. `add_metric_suffixes` is its deprecated
    alias: false means UnderscoreEscapingWithoutSuffixes."""
    if add_metric_suffixes is None:
        return check_strategy(strategy, v2=v2) if strategy else DEFAULT_STRATEGY
    if not isinstance(add_metric_suffixes, bool):
        raise ConfigError(
            "add_metric_suffixes", f"expected true or false, got {type_name(add_metric_suffixes)}"
        )
    implied = DEFAULT_STRATEGY if add_metric_suffixes else WITHOUT_SUFFIXES
    if strategy and check_strategy(strategy, v2=v2) != implied:
        raise ConfigError(
            "add_metric_suffixes",
            f"{str(add_metric_suffixes).lower()} conflicts with translation_strategy "
            f"{strategy}; remove add_metric_suffixes, which translation_strategy replaces",
        )
    _deprecated("add_metric_suffixes", f"translation_strategy: {implied}")
    return implied


def resolve_scope_labels(add_scope_labels: bool | None, disable_scope_info: bool | None) -> bool:
    """Whether series carry `otel_scope_*` labels (default true)."""
    for key, value in (
        ("add_scope_labels", add_scope_labels),
        ("disable_scope_info", disable_scope_info),
    ):
        if value is not None and not isinstance(value, bool):
            raise ConfigError(key, f"expected true or false, got {type_name(value)}")
    if add_scope_labels is not None and add_scope_labels == disable_scope_info:
        raise ConfigError(
            "disable_scope_info",
            f"{str(disable_scope_info).lower()} conflicts with add_scope_labels "
            f"{str(add_scope_labels).lower()}; set only one of them",
        )
    if disable_scope_info is not None:
        return not disable_scope_info
    return True if add_scope_labels is None else add_scope_labels


def _names(value: object, path: str) -> tuple[str, ...]:
    """A list of attribute names, each non-empty and given once."""
    if not isinstance(value, list | tuple):
        raise ConfigError(path, f"expected a list of attribute names, got {type_name(value)}")
    seen: set[str] = set()
    for index, name in enumerate(value):
        where = f"{path}[{index}]"
        if not as_str(name, where):
            raise ConfigError(where, "must not be empty")
        if name in seen:
            raise ConfigError(where, f"{quote(name)} is listed twice")
        seen.add(name)
    return tuple(value)


@dataclass(frozen=True, kw_only=True)
class ResourceConstantLabels:
    """`resource_constant_labels`: the resource attributes put on every series.

    `included` names them; `excluded` alone means all but those. None is "not given".
    """

    included: tuple[str, ...] | None = None
    excluded: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("included", "excluded"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _names(value, name))
        if self.included is not None and self.excluded is not None:
            raise ConfigError(
                "excluded",
                "cannot be combined with included: name the attributes to promote, or "
                "exclude some of all of them",
            )

    @property
    def promotes_all(self) -> bool:
        return self.excluded is not None

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> ResourceConstantLabels:
        readers: dict[str, Reader] = {"included": optional(_names), "excluded": optional(_names)}
        return construct(cls, read_fields(data, path, readers), path)
