"""Did my data arrive? The probe read back through the backend's query API.

A 2xx to a remote-write request does not prove the sample was stored (Prometheus accepts
and rewrites some series, VictoriaMetrics drops some silently), so `check --query-url`
asks the instant-query API (`/api/v1/query`) for the probe's unique series. A fresh series
takes a moment to become searchable, so a few queries are made, backing off, until a
wall-clock deadline; every answer is read with a byte cap.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from cortex_exporter.cli.output import format_value
from upstream_prw import RemoteWriteSettings
from upstream_prw.send.response import loggable, read_capped
from upstream_prw.send.session import ConfiguredAuth

__all__ = ["MAX_QUERIES", "ReadBack", "query_endpoint", "read_back", "selector"]

MAX_QUERIES = 8
"""At most this many queries, whatever the deadline."""
_FIRST_WAIT = 0.25
_LONGEST_WAIT = 4.0
_QUERY_PATH = "/api/v1/query"


@dataclass(frozen=True, slots=True)
class ReadBack:
    """What the query API said: found (with the value), or why not."""

    ok: bool
    summary: str
    advice: str = ""
    queries: int = 0


def query_endpoint(url: str) -> str:
    """`url` itself when it ends in /api/v1/query, else with that path appended: an AMP
    workspace URL, `http://host:9090` or Mimir's `http://host/prometheus` all work."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if not path.endswith(_QUERY_PATH):
        path += _QUERY_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def selector(labels: dict[str, str]) -> str:
    """A PromQL selector matching exactly these label values (name included)."""
    matchers = ",".join(f"{name}={json.dumps(value)}" for name, value in sorted(labels.items()))
    return "{" + matchers + "}"


def _request_options(settings: RemoteWriteSettings) -> dict[str, Any]:
    """TLS, proxy and configured headers, as the exporter's own requests carry them."""
    tls = settings.tls
    # Plain bytes, so the byte cap bounds the text itself (Prometheus gzips when asked).
    headers = {"Accept-Encoding": "identity", **settings.headers}
    options: dict[str, Any] = {"headers": headers}
    options["verify"] = False if tls.insecure_skip_verify else (tls.ca_file or True)
    if tls.cert_file is not None:
        options["cert"] = (tls.cert_file, tls.key_file) if tls.key_file else tls.cert_file
    if settings.proxy_url is not None:
        options["proxies"] = {"http": settings.proxy_url, "https": settings.proxy_url}
    return options


def _refused(status: int, body: str) -> ReadBack:
    said = f"HTTP {status}" + (f": {body}" if body else "")
    if status in (401, 403):
        advice = (
            "The query API refused these credentials. AMP needs aps:QueryMetrics on the "
            "workspace (the managed policy AmazonPrometheusQueryAccess), besides "
            "aps:RemoteWrite; other backends their own query credentials."
        )
    elif status == 404:
        advice = (
            "Nothing answers queries at this URL: Prometheus and VictoriaMetrics serve "
            "/api/v1/query, Mimir /prometheus/api/v1/query, AMP "
            "https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/api/v1/query."
        )
    else:
        advice = "The query API refused the query; its answer above says why."
    return ReadBack(False, f"the query failed: {said}", advice)


def read_back(
    session: requests.Session,
    url: str,
    promql: str,
    settings: RemoteWriteSettings,
    *,
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ReadBack:
    """Query `promql` at `url` until it returns a sample, `timeout` seconds or MAX_QUERIES."""
    start = clock()
    deadline = start + timeout
    auth = ConfiguredAuth(settings, session).for_request()
    options = _request_options(settings)
    # VictoriaMetrics hides the last 30s from queries unless told not to cache; others ignore it.
    params = {"query": promql, "nocache": "1"}
    wait = _FIRST_WAIT
    queries = 0
    last = "nothing yet"
    while queries < MAX_QUERIES and clock() < deadline:
        queries += 1
        per_query = min(settings.timeout, max(deadline - clock(), 0.001))
        try:
            response = session.get(
                url, params=params, auth=auth, timeout=per_query, stream=True, **options
            )
        except requests.RequestException as error:
            last = f"{type(error).__name__}: {' '.join(str(error).split())}"[:300]
        else:
            with response:
                body = read_capped(response, min(deadline, clock() + per_query), clock)
            status = response.status_code
            if 400 <= status < 500:
                return _refused(status, loggable(body))
            found = _value(body) if status == 200 else None
            if found is not None:
                took = clock() - start
                return ReadBack(
                    True, f"found after {took:.1f}s ({queries} queries): value {found}", "", queries
                )
            last = "no such series yet" if status == 200 else f"HTTP {status}: {loggable(body)}"
        remaining = deadline - clock()
        if remaining <= 0 or queries >= MAX_QUERIES:
            break
        sleep(min(wait, remaining))
        wait = min(wait * 2, _LONGEST_WAIT)
    return ReadBack(
        False,
        f"not found within {timeout:g}s ({queries} queries; last: {last})",
        "The write was accepted but the sample cannot be read back: another backend answers "
        "queries than the one written to (check the two URLs), the backend dropped it "
        "(VictoriaMetrics drops samples it cannot store), or it takes longer to become "
        "searchable (raise --query-timeout).",
        queries,
    )


def _value(body: bytes) -> str | None:
    """The sample's value in a Prometheus query answer, or None when there is none."""
    try:
        answer = json.loads(body)
        result = answer["data"]["result"]
        if answer.get("status") != "success" or not result:
            return None
        return format_value(float(result[0]["value"][1]))
    except (ValueError, KeyError, IndexError, TypeError):
        return None
