"""`cortex-exporter check`: validate, resolve, sign, send one probe, and explain the answer.

Each step prints one labelled line, so the first line that says FAILED is where to look.
Secrets never reach the output: key ids are cut to four characters, signatures and session
tokens are replaced, configured header values are hidden, and every line is scrubbed once more.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import TextIO

import cramjam
import requests
from requests.adapters import HTTPAdapter

from auth import CredentialSource, credential_source, infer_scope, resolve_region
from auth.errors import AuthError
from cortex_exporter.cli.explain import Diagnosis, explain_error, explain_response
from cortex_exporter.cli.origins import Origins
from cortex_exporter.cli.output import Report, redact_key
from cortex_exporter.cli.probe import ProbeResult, probe_request, send_probe
from cortex_exporter.cli.probe_v2 import probe_v2
from cortex_exporter.cli.readback import query_endpoint, read_back, selector
from cortex_exporter.config import Config
from cortex_exporter.factory import build_session, resolve_source
from upstream_prw import RemoteWriteSettings
from upstream_prw.proto import remote_pb2

__all__ = ["CHECK_LABEL", "PROVIDERS", "region_source", "run_check"]

CHECK_LABEL = "check_id"
"""The label that makes a read-back probe's series unique."""

PROVIDERS = {
    "env": "environment variables",
    "shared-credentials-file": "shared credentials file",
    "config-file": "AWS config file",
    "assume-role": "a role assumed by the profile",
    "assume-role-with-web-identity": "web identity token (EKS IRSA)",
    "container-role": "container credentials endpoint (ECS task role or EKS Pod Identity)",
    "iam-role": "EC2 instance metadata (instance profile)",
    "sso": "IAM Identity Center (SSO)",
    "custom-process": "credential_process",
}
"""botocore's provider names, as people know them."""


def region_source(
    config: Config, environ: Mapping[str, str], origins: Origins | None = None
) -> str:
    """Where `resolve_region` finds the region, in the order it looks, named as the user
    set it (`--region`, a variable, a Collector key)."""
    settings = config.aws_auth
    if settings.region:
        return (origins or Origins.yaml()).key("aws_auth.region")
    if infer_scope(config.endpoint) is not None:
        return "the endpoint"
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if environ.get(name, "").strip():
            return name
    return f"profile {settings.profile or environ.get('AWS_PROFILE') or 'default'}"


def _describe_probe(result: ProbeResult) -> str:
    labels = _probe_labels(result)
    name = labels.pop("__name__")
    shown = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    size = len(result.encoded.payload)
    return f"{name}{{{shown}}} 1 (1 series, 1 sample, {size} bytes)"


def _raw(result: ProbeResult) -> bytes:
    return bytes(cramjam.snappy.decompress_raw(result.encoded.payload))


def _show_request(report: Report, request: requests.PreparedRequest, configured: set[str]) -> None:
    report.line("request", f"{request.method} {request.url}")
    for name, value in request.headers.items():
        lowered = name.lower()
        if lowered == "authorization":
            value = _redact_authorization(value)
        elif lowered == "x-amz-security-token":
            value = f"<redacted, {len(value)} characters>"
        elif lowered in configured:
            value = f"<configured value, {len(value)} characters>"
        report.line("", f"{name}: {value}")
    body = request.body if isinstance(request.body, bytes) else b""
    report.line("", f"body: {len(body)} bytes (snappy-compressed WriteRequest)")


def _redact_authorization(value: str) -> str:
    scheme, _, rest = value.partition(" ")
    if scheme != "AWS4-HMAC-SHA256":
        return f"{scheme} <redacted>"
    parts = []
    for part in rest.split(","):
        key, _, val = part.strip().partition("=")
        if key == "Credential":
            access_key, _, scope = val.partition("/")
            val = f"{redact_key(access_key)}/{scope}"
        elif key == "Signature":
            val = "<redacted>"
        parts.append(f"{key}={val}")
    return f"{scheme} " + ", ".join(parts)


def _credentials(report: Report, config: Config, region: str) -> CredentialSource | None:
    """Resolve now and say who answered; None (after saying why) if nothing did."""
    try:
        source = resolve_source(config.aws_auth, region)
        frozen = source.get_frozen_credentials()
    except AuthError as error:
        report.line("credentials", f"FAILED: {error}")
        return None
    except Exception as error:  # botocore's own (an STS refusal arrives as a ClientError)
        report.line("credentials", f"FAILED: {type(error).__name__}: {error}")
        return None
    report.hide(frozen.secret_key, "<secret>")
    report.hide(frozen.token, "<session token>")
    report.hide(frozen.access_key, redact_key(frozen.access_key))
    provider = credential_source(source)
    known = PROVIDERS.get(provider)
    kind = "temporary (with a session token)" if frozen.token else "long-term"
    named = f"{provider} ({known})" if known else provider
    report.line("credentials", f"{named}; key id {redact_key(frozen.access_key)}; {kind}")
    return source


def run_check(
    config: Config,
    out: TextIO,
    *,
    source: str = "",
    dry_run: bool = False,
    environ: Mapping[str, str] | None = None,
    origins: Origins | None = None,
    query_url: str | None = None,
    query_timeout: float = 30.0,
) -> int:
    """Run every step against `config`; 0 when the probe was accepted (or, dry, signed) and,
    with `query_url`, read back. Advice names settings as `origins` says they were set."""
    env = os.environ if environ is None else environ
    origins = origins or Origins.yaml()
    report = Report(out)
    settings = config.remote_write
    report.line("config", f"{source}: valid" if source else "valid")
    report.line("endpoint", config.endpoint)
    credentials: CredentialSource | None = None
    if config.aws_auth.enabled:
        try:
            region = resolve_region(
                config.aws_auth.region or None,
                endpoint=config.endpoint,
                profile=config.aws_auth.profile,
            )
        except AuthError as error:
            report.line("signing", f"FAILED: {error}")
            return _result(report, False)
        where = region_source(config, env, origins)
        service = config.aws_auth.service
        report.line("signing", f"SigV4, region {region} (from {where}), service {service}")
        credentials = _credentials(report, config, region)
        if credentials is None:
            return _result(report, False)
    else:
        report.line("signing", f"none ({origins.off('aws_auth.enabled')})")
        if infer_scope(config.endpoint) is not None:
            enable = origins.assign("aws_auth.enabled", "true")
            report.line("", f"note: AMP only accepts signed requests; {enable}")
    unique = {CHECK_LABEL: uuid.uuid4().hex[:16]} if query_url else None
    session = build_session(config, credentials=credentials) or requests.Session()
    with session:
        probe = probe_request(settings, attributes=unique)
        result = send_probe(settings, session, probe, dry_run=dry_run)
        diagnosis = _diagnose(report, result, settings, origins, dry_run)
        if diagnosis is None:
            return _result(report, True)
        ok = _explain(report, diagnosis, advise=not (diagnosis.ok and query_url))
        if ok and query_url:
            ok = _read_back(report, session, result, settings, query_url, query_timeout)
        if ok:  # the 1.0 probe was taken: does the endpoint take 2.0 too?
            probe_v2(report, settings, session, result.encoded)
    return _result(report, ok)


def _diagnose(
    report: Report,
    result: ProbeResult,
    settings: RemoteWriteSettings,
    origins: Origins,
    dry_run: bool,
) -> Diagnosis | None:
    """What the probe's answer means; None for a dry run that was signed and shown."""
    report.line("probe", _describe_probe(result))
    if dry_run:
        if result.request is None:
            return _unsent(result, settings.timeout, origins)
        _show_request(report, result.request, {name.lower() for name in settings.headers})
        report.line("", "not sent (--dry-run)")
        return None
    if result.response is not None:
        body = result.response.content[:4096].decode("utf-8", "replace")
        reason = result.response.reason or ""
        report.line("answer", f"HTTP {result.response.status_code} {reason}".rstrip())
        if body.strip():
            report.line("", " ".join(body.split())[:300])
        return explain_response(
            result.response.status_code,
            body,
            max_batch_size_bytes=settings.max_batch_size_bytes,
            origins=origins,
            endpoint=settings.endpoint,
        )
    return _unsent(result, settings.timeout, origins)


def _read_back(
    report: Report,
    session: requests.Session,
    result: ProbeResult,
    settings: RemoteWriteSettings,
    query_url: str,
    timeout: float,
) -> bool:
    """Query the probe's own series until it shows up; say what happened."""
    url = query_endpoint(query_url)
    promql = selector(_probe_labels(result))
    for prefix in ("http://", "https://"):  # the probe's recording adapter reads bodies itself
        session.mount(prefix, HTTPAdapter())
    report.line("read back", f"GET {url} query={promql}")
    answer = read_back(session, url, promql, settings, timeout=timeout)
    report.line("", answer.summary if answer.ok else f"FAILED: {answer.summary}")
    if answer.advice:
        report.line("what to do", answer.advice)
    return answer.ok


def _probe_labels(result: ProbeResult) -> dict[str, str]:
    message = remote_pb2.WriteRequest.FromString(_raw(result))
    (series,) = message.timeseries
    return {label.name: label.value for label in series.labels}


def _unsent(result: ProbeResult, timeout: float, origins: Origins) -> Diagnosis:
    if result.error is not None:
        return explain_error(result.error, timeout=timeout, origins=origins)
    # Nothing reached the transport: the auth hook (or something before it) refused.
    return Diagnosis(False, "not sent", result.outcome.error or "the request was not sent")


def _explain(report: Report, diagnosis: Diagnosis, *, advise: bool = True) -> bool:
    report.line("meaning", diagnosis.summary)
    if diagnosis.advice and advise:
        report.line("what to do", diagnosis.advice)
    return diagnosis.ok


def _result(report: Report, ok: bool) -> int:
    report.line("result", "OK" if ok else "FAILED")
    return 0 if ok else 1
