"""What a remote-write answer means and what to do about it: pure, one function per outcome.

AMP's 403 bodies differ by cause, and the cause decides the fix (a key, a permission, a clock),
so the body is matched against AWS's wording before falling back to the status alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from auth import AuthError
from cortex_exporter.cli.answers import explain_body
from cortex_exporter.cli.origins import Origins

__all__ = ["Diagnosis", "explain_error", "explain_response"]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """`ok` decides the exit status; `summary` is one line; `advice` says what to do."""

    ok: bool
    summary: str
    advice: str = ""


_FORBIDDEN = (
    (
        "signature we calculated does not match",
        "the signature does not match",
        "The backend computed a different signature for the same request: the secret key does "
        "not belong to the access key id (a stale AWS_SECRET_ACCESS_KEY or profile), or a "
        "proxy changed a signed header (Host, Content-Type, Content-Encoding) on the way. "
        "`check --verbose` logs the canonical request that was signed.",
    ),
    (
        "not authorized to perform",
        "the identity lacks permission aps:RemoteWrite",
        "The credentials are valid, but their IAM identity may not write to this workspace. "
        "Allow aps:RemoteWrite on arn:aws:aps:<region>:<account>:workspace/<workspace-id> "
        "(the managed policy AmazonPrometheusRemoteWriteAccess does), on the role that "
        "`credentials` above names.",
    ),
    (
        "security token included in the request is expired",
        "the temporary credentials have expired",
        "Refresh them (`aws sso login`, a new session). A long-running process should use a "
        "provider that refreshes by itself: IRSA, Pod Identity, a task role, an instance "
        "profile, or aws_auth.assume_role. If they are fresh, check the machine's clock.",
    ),
    (
        "security token included in the request is invalid",
        "AWS does not know this access key id",
        "The key was deleted or deactivated, belongs to another partition (aws-cn, "
        "aws-us-gov), or is a temporary key (ASIA...) sent without its AWS_SESSION_TOKEN.",
    ),
    (
        "missing authentication token",
        "the request was not signed",
        "Amazon Managed Service for Prometheus only accepts SigV4-signed requests: "
        "{enable}. (AWS also answers this to a URL path it does not serve: "
        "the path must end in /api/v1/remote_write.)",
    ),
    (
        "signature expired",
        "the clock is off: the request time is too far from AWS's",
        "SigV4 signatures are valid for 5 minutes around the signing time. Synchronise the "
        "clock (chrony, systemd-timesyncd, or the Amazon Time Sync Service).",
    ),
    (
        "signature not yet current",
        "the clock is ahead: the request time is in AWS's future",
        "Synchronise the clock (chrony, systemd-timesyncd, or the Amazon Time Sync Service).",
    ),
    (
        "should be scoped to",
        "the signature is for the wrong region or service",
        "Sign for the workspace's region (the one in the endpoint's host name; set "
        "{region} to it) and for service aps ({service}).",
    ),
)


def _forbidden(body: str, said: str, origins: Origins) -> Diagnosis:
    lowered = body.lower()
    fields = {
        "enable": origins.assign("aws_auth.enabled", "true"),
        "region": origins.key("aws_auth.region"),
        "service": origins.key("aws_auth.service"),
    }
    for phrase, summary, advice in _FORBIDDEN:
        if phrase in lowered:
            return Diagnosis(False, f"HTTP 403: {summary}", advice.format(**fields))
    # Backends that start their answer with "forbidden" need no second one.
    shown = said if said.lower().startswith(": forbidden") else f": forbidden{said}"
    return Diagnosis(
        False,
        f"HTTP 403{shown}",
        "The backend refused these credentials; its message above says why.",
    )


def explain_response(
    status: int,
    body: str,
    *,
    max_batch_size_bytes: int,
    origins: Origins | None = None,
    endpoint: str = "",
) -> Diagnosis:
    """The meaning of an HTTP answer to a remote-write request; advice names settings the
    way the user wrote them (`origins`)."""
    origins = origins or Origins.yaml()
    first_line = " ".join(body.split())[:300]
    said = f": {first_line}" if first_line else ""
    if 200 <= status < 300:
        return Diagnosis(
            True,
            f"HTTP {status}: accepted",
            "A 2xx means the backend took the request; query cortex_exporter_check (after "
            "your namespace prefix, if any) to see the sample stored, or run check with "
            "--query-url to have it read back.",
        )
    if status >= 400:
        known = explain_body(status, body, origins=origins, endpoint=endpoint)
        if known is not None:
            return Diagnosis(False, f"HTTP {status}: {known.summary}", known.advice)
    if status == 403:
        return _forbidden(body, said, origins)
    return _by_status(status, said, max_batch_size_bytes, origins)


def _by_status(status: int, said: str, max_batch_size_bytes: int, origins: Origins) -> Diagnosis:
    head = f"HTTP {status}{said}"
    if status == 401:
        advice = (
            f"The backend wants credentials: {origins.key('basic_auth')} or "
            f"{origins.key('bearer_token')} for Cortex, Mimir or Thanos behind a gateway, or "
            f"SigV4 for Amazon Managed Service for Prometheus ({origins.key('aws_auth')})."
        )
    elif status == 404:
        advice = (
            "Nothing receives remote write at this URL. For AMP, check the workspace id and "
            "region: https://aps-workspaces.<region>.amazonaws.com/workspaces/<workspace-id>/"
            "api/v1/remote_write (the workspace must exist in that region). Prometheus serves "
            "/api/v1/write when started with --web.enable-remote-write-receiver; Mimir and "
            "Cortex serve /api/v1/push; VictoriaMetrics /api/v1/write."
        )
    elif status == 413:
        advice = (
            f"The request is larger than the backend accepts. Set "
            f"{origins.key('max_batch_size_bytes')} (now {max_batch_size_bytes}) below its "
            "limit; requests are split to fit."
        )
    elif status == 429:
        advice = (
            "Throttled: the ingestion rate or active-series limit is exceeded. The exporter "
            f"retries 429 with backoff ({origins.key('retry_on_failure')}); if it persists, "
            "send fewer series or samples, or raise the limit (for AMP: a quota increase in "
            "Service Quotas)."
        )
    elif status == 400:
        advice = (
            "The backend rejected the data itself; its message above says why (label limits, "
            "bad names, samples too old or out of order). The exporter does not retry this."
        )
    elif status == 415:
        advice = "The URL does not speak Prometheus remote write 1.0 (snappy protobuf)."
    elif 300 <= status < 400:
        advice = (
            "A redirect: the exporter does not follow them (a redirected POST may arrive as a "
            f"GET). Configure the final URL as {origins.key('endpoint')}."
        )
    elif status >= 500:
        advice = "The backend failed; this is usually transient and the exporter retries it."
    else:
        advice = "The backend refused the request; its message above says why."
    return Diagnosis(False, head, advice)


def explain_error(
    error: BaseException, *, timeout: float, origins: Origins | None = None
) -> Diagnosis:
    """The meaning of a request that got no HTTP answer."""
    origins = origins or Origins.yaml()
    text = " ".join(str(error).split())
    head = f"{type(error).__name__}: {text}"[:400]
    if isinstance(error, AuthError):
        return Diagnosis(False, "not signed, so not sent", str(error))
    if isinstance(error, requests.exceptions.SSLError):
        advice = (
            "The TLS handshake failed: the server's certificate is not trusted (set "
            f"{origins.key('tls.ca_file')} to your CA bundle, e.g. for a TLS-inspecting "
            "proxy), its name does not match the "
            "endpoint's host, or the server does not speak TLS on this port (http vs https)."
        )
    elif isinstance(error, requests.exceptions.ProxyError):
        advice = (
            f"The proxy could not be reached or refused: check {origins.key('proxy_url')} "
            "or HTTPS_PROXY."
        )
    elif isinstance(error, requests.exceptions.ConnectTimeout):
        advice = (
            "No answer while connecting: a firewall, security group or routing problem. From a "
            "private subnet, AMP needs a NAT gateway or an aps-workspaces VPC endpoint."
        )
    elif isinstance(error, requests.exceptions.Timeout):
        name = origins.key("timeout")
        advice = f"Connected, but no answer within {name} ({timeout:g}s); raise {name}."
    elif isinstance(error, requests.exceptions.ConnectionError):
        advice = (
            "Could not connect: check the endpoint's host name (DNS) and port, and that "
            "something is listening there."
        )
    else:
        advice = "The request could not be sent."
    return Diagnosis(False, head, advice)
