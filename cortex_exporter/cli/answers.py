"""What a backend's refusal says, by its words: the same status means different fixes.

A 400 from VictoriaMetrics about the path, one from Prometheus about native histograms and
one about out-of-order samples need three different fixes, so the body is read before the
status. The phrases are the backends' own (Prometheus, VictoriaMetrics, Cortex/Mimir and
Amazon Managed Service for Prometheus, which is Cortex-based); matching is case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from cortex_exporter.cli.origins import Origins

__all__ = ["Explained", "explain_body", "write_path_for_victoria_metrics"]

_UNSUPPORTED_PATH = re.compile(r'unsupported path requested: "([^"]*)"', re.IGNORECASE)
_WRONG_SUFFIXES = ("/api/v1/push", "/api/v1/remote_write", "/api/prom/push", "/push")


@dataclass(frozen=True, slots=True)
class Explained:
    """One line saying what happened, and what to do."""

    summary: str
    advice: str


def write_path_for_victoria_metrics(endpoint: str, requested: str) -> str:
    """The endpoint with the path VictoriaMetrics serves remote write on.

    Another backend's suffix (`/api/v1/push`, `/api/v1/remote_write`) becomes `/api/v1/write`,
    keeping any prefix (vminsert's `/insert/0/prometheus`); another path is replaced whole.
    """
    parts = urlsplit(endpoint)
    path = requested or parts.path
    for suffix in _WRONG_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)] + "/api/v1/write"
            break
    else:
        path = "/api/v1/write"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _victoria_path(body: str, origins: Origins, endpoint: str) -> Explained:
    match = _UNSUPPORTED_PATH.search(body)
    requested = match.group(1) if match else ""
    right = write_path_for_victoria_metrics(endpoint, requested)
    return Explained(
        f"wrong path: VictoriaMetrics does not serve {requested or 'this path'}",
        "VictoriaMetrics takes remote write at /api/v1/write (single node and vmagent; "
        "vminsert: /insert/<tenant>/prometheus/api/v1/write), not at Mimir's or AMP's path. "
        f"{_sentence(origins.assign('endpoint', right))}.",
    )


def _native_histograms(status: int) -> Explained:
    retried = (
        " It answers 500, so the exporter retries those requests until "
        "retry_on_failure.max_elapsed_time and then drops them."
        if status >= 500
        else ""
    )
    return Explained(
        "native histograms are disabled on this Prometheus",
        "Exponential histograms are sent as native histograms, which this Prometheus "
        "refuses. Start it with --enable-feature=native-histograms (and "
        "--web.enable-remote-write-receiver), or record those instruments as explicit-bucket "
        f"histograms with an SDK View.{retried}",
    )


def _rate_limit(origins: Origins) -> Explained:
    return Explained(
        "the ingestion rate limit is exceeded",
        "The backend takes at most so many samples per second from this tenant. The exporter "
        f"retries 429 with backoff ({origins.key('retry_on_failure')}); if it persists, send "
        "fewer samples (a longer export interval, fewer series) or raise the limit (AMP: the "
        "'Ingestion rate' quota in Service Quotas; Cortex and Mimir: "
        "-distributor.ingestion-rate-limit).",
    )


def _series_limit(origins: Origins) -> Explained:
    return Explained(
        "the active series limit is exceeded",
        "New series are refused until old ones stop being written; existing series still "
        "arrive. Drop high-cardinality "
        "attributes (a View with attribute_keys, or fewer resource attributes as labels) "
        "or raise the limit (AMP: 'Active series per workspace' in Service Quotas).",
    )


def _too_many_labels() -> Explained:
    return Explained(
        "a series has more labels than allowed",
        "AMP allows 70 labels per series by default (Cortex and Mimir: "
        "-validation.max-label-names-per-series, 30). Resource attributes copied onto every "
        "series (resource_to_telemetry_conversion) and external_labels count too: send fewer.",
    )


def _out_of_order(origins: Origins) -> Explained:
    return Explained(
        "out-of-order or duplicate samples",
        "The backend already holds a newer sample, or another value at the same time, for "
        "this series: two processes write the same series (give each its own "
        "service.instance.id), or the same data was sent twice. The exporter does not retry "
        "this.",
    )


_PHRASES = (
    ("unsupported path requested", "victoria"),
    ("native histograms are disabled", "native"),
    ("ingestion rate limit", "rate"),
    ("ingestion burst size limit", "rate"),
    ("too many labels", "labels"),
    ("series limit", "series"),
    ("out of order sample", "order"),
    ("duplicate sample for timestamp", "order"),
    ("out of bounds", "order"),
)


def explain_body(status: int, body: str, *, origins: Origins, endpoint: str) -> Explained | None:
    """The meaning of a refusal by its body's words, or None when they are not known."""
    lowered = body.lower()
    for phrase, kind in _PHRASES:
        if phrase not in lowered:
            continue
        if kind == "victoria":
            return _victoria_path(body, origins, endpoint)
        if kind == "native":
            return _native_histograms(status)
        if kind == "rate":
            return _rate_limit(origins)
        if kind == "series":
            return _series_limit(origins)
        if kind == "labels":
            return _too_many_labels()
        return _out_of_order(origins)
    return None
