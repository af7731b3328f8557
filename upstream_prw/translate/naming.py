"""Prometheus names from OpenTelemetry names and units (pure; no I/O).

Rules: OpenTelemetry "Prometheus and OpenMetrics Compatibility", matching the Collector's
`prometheusremotewrite` translator where the specification leaves room.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Sequence
from decimal import Decimal

__all__ = [
    "cut_utf8",
    "format_float",
    "label_name",
    "label_value",
    "metric_name",
    "sanitize_label_name",
    "unit_name",
    "unit_suffix_tokens",
    "utf8_metric_name",
    "valid_utf8",
]

# Main units (UCUM case-sensitive) → the word Prometheus uses in a name.
_UNIT_WORDS = {
    "d": "days",
    "h": "hours",
    "min": "minutes",
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
    "By": "bytes",
    "KiBy": "kibibytes",
    "MiBy": "mebibytes",
    "GiBy": "gibibytes",
    "TiBy": "tibibytes",
    "KBy": "kilobytes",
    "MBy": "megabytes",
    "GBy": "gigabytes",
    "TBy": "terabytes",
    "m": "meters",
    "V": "volts",
    "A": "amperes",
    "J": "joules",
    "W": "watts",
    "g": "grams",
    "Cel": "celsius",
    "Hz": "hertz",
    "1": "",
    "%": "percent",
}
# Units after "/" read as "per <singular>".
_PER_UNIT_WORDS = {
    "s": "second",
    "m": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "mo": "month",
    "y": "year",
}

_NAME_SPLIT = re.compile(r"[^a-zA-Z0-9:]+")
_WORD_SPLIT = re.compile(r"[^a-zA-Z0-9]+")
_LABEL_RUNS = re.compile(r"[^a-zA-Z0-9]+")  # `_` included: runs of it collapse to one
# AnyValue text for the floats JSON has no number for (spec: common, AnyValue representation)
_NON_FINITE = {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}


def _words(text: str) -> list[str]:
    return [t for t in _WORD_SPLIT.split(text) if t]


def _unit_words(unit: str) -> tuple[str, str]:
    """The unit's main part and its "per" part, each as the word Prometheus uses (or as
    written); "" for a part that is missing or an annotation (`{...}`)."""
    main, _, per = unit.partition("/")
    main, per = main.strip(), per.strip()
    main = "" if not main or "{" in main or "}" in main else _UNIT_WORDS.get(main, main)
    per = "" if not per or "{" in per or "}" in per else _PER_UNIT_WORDS.get(per, per)
    return main, per


def unit_suffix_tokens(unit: str) -> tuple[list[str], list[str]]:
    """Name tokens for a unit: (main unit tokens, per-unit tokens). `{...}` parts are dropped."""
    main, per = _unit_words(unit)
    return _words(main), _words(per)


def metric_name(
    name: str,
    unit: str,
    *,
    namespace: str = "",
    counter: bool = False,
    ratio_gauge: bool = False,
    add_suffixes: bool = True,
) -> str:
    """The Prometheus metric name, or "" when nothing valid is left.

    `counter` adds `_total` (monotonic sums); `ratio_gauge` adds `_ratio` (gauges in unit "1").
    Unit words are appended unless the name already holds them; runs of invalid characters
    become one `_`, and a leading digit gets a `_` in front.
    """
    tokens = [t for t in _NAME_SPLIT.split(name) if t]
    if add_suffixes:
        main_tokens, per_tokens = unit_suffix_tokens(unit)
        if main_tokens and not _contains_run(tokens, main_tokens):
            tokens += main_tokens
        if per_tokens and not _contains_run(tokens, per_tokens):
            tokens += ["per", *per_tokens]
        if counter:
            tokens = [t for t in tokens if t != "total"] + ["total"]
        elif ratio_gauge and unit == "1":
            tokens = [t for t in tokens if t != "ratio"] + ["ratio"]
    if namespace:
        tokens = [t for t in _NAME_SPLIT.split(namespace) if t] + tokens
    result = "_".join(tokens)
    if result[:1].isdigit():
        result = "_" + result
    return result


def _contains_run(tokens: Sequence[str], run: Sequence[str]) -> bool:
    n = len(run)
    return any(list(tokens[i : i + n]) == list(run) for i in range(len(tokens) - n + 1))


def unit_name(unit: str) -> str:
    """The unit as Prometheus' UNIT metadata gives it: `seconds`, `bytes_per_second`; ""
    for `1` and for annotations such as `{request}`."""
    main_tokens, per_tokens = unit_suffix_tokens(unit)
    if per_tokens:
        main_tokens = [*main_tokens, "per", *per_tokens]
    return "_".join(main_tokens)


def label_name(key: str, utf8: bool = False) -> str:
    """A label name from an attribute key: as written when names may be UTF-8 (Remote Write
    2.0), else `sanitize_label_name`; "" for a key of underscores only, or none."""
    if utf8:
        return key if key.strip("_") else ""
    return sanitize_label_name(key)


def utf8_metric_name(
    name: str,
    unit: str,
    *,
    namespace: str = "",
    counter: bool = False,
    ratio_gauge: bool = False,
    add_suffixes: bool = True,
) -> str:
    """The metric name as written (Remote Write 2.0's UTF-8 names), with unit and type
    suffixes when `add_suffixes`: `<name>_<unit>_per_<unit>_total`, each left out where the
    name already ends with it (otlptranslator's NoUTF8EscapingWithSuffixes)."""
    if namespace:
        name = f"{namespace}_{name}"
    if not add_suffixes:
        return name
    main, per = _unit_words(unit)
    per = f"per_{per}" if per else ""
    ratio = ratio_gauge and unit == "1"
    for suffix, applies in (("ratio", ratio), ("total", counter), (per, bool(per))):
        if applies and name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -(len(suffix) + 1)]  # the suffix and the character before it
    if main and not name.endswith(main):
        name += "_" + main
    for suffix, applies in ((per, bool(per)), ("total", counter), ("ratio", ratio)):
        if applies:
            name += "_" + suffix
    return name


def sanitize_label_name(key: str) -> str:
    """A label name from an attribute key, or "" when nothing valid is left.

    Every run of characters other than letters and digits (underscores included) becomes
    one `_`; a leading digit gets `key_`. A key wrapped in `__` on both sides keeps that
    wrapping (`__reserved__label__` becomes `__reserved_label__`), as otlptranslator's
    LabelNamer does; a name of underscores only is no name.
    """
    if not key:
        return ""
    if len(key) >= 4 and key[:2] == "__" and key[-2:] == "__":
        label = f"__{_LABEL_RUNS.sub('_', key[2:-2])}__"
    else:
        label = _LABEL_RUNS.sub("_", key)
        if label[0].isdigit():
            label = "key_" + label
    return label if label.strip("_") else ""


def format_float(value: float) -> str:
    """Shortest round-trip decimal in fixed notation, as Go's FormatFloat(v, 'f', -1, 64)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return format(Decimal(repr(float(value))).normalize(), "f")


def label_value(value: object) -> str:
    """An attribute value as label text, by the spec's AnyValue representation: bool
    `true`/`false`, floats as JSON numbers or `NaN`/`Infinity`/`-Infinity`, bytes in Base64,
    sequences as JSON arrays (with those three as strings)."""
    if isinstance(value, str):
        return valid_utf8(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value) if math.isfinite(value) else _NON_FINITE[repr(value)]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Sequence):
        text = json.dumps([_json_item(v) for v in value], separators=(",", ":"), ensure_ascii=False)
        return valid_utf8(text)  # strings inside the array may hold lone surrogates
    return valid_utf8(str(value))


def cut_utf8(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, never inside a character (0: whole)."""
    encoded = text.encode()
    if not limit or len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")


def valid_utf8(text: str) -> str:
    """Protobuf strings must be UTF-8: lone surrogates become U+FFFD."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text


def _json_item(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return _NON_FINITE[repr(value)]
    if isinstance(value, bytes | bytearray):
        return label_value(bytes(value))
    return value
