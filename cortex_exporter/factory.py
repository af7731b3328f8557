"""`new_exporter`: config in, the unmodified upstream exporter out, signing through its session.

The only thing added to upstream is a `requests.Session` whose `auth` is `auth.SigV4Auth`.
The region is resolved now (config only, cheap); credentials on the first request, so a slow
or missing credential provider never blocks the application at start-up.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import requests
from opentelemetry.metrics import MeterProvider

import upstream_prw
from auth import CredentialSource, SigV4Auth, credential_source, infer_scope, resolve_region
from auth.credentials import FrozenCredentials, renew_lock_after_fork, resolve_credentials
from cortex_exporter.config import AuthSettings, Config
from cortex_exporter.loading import load_config
from upstream_prw.config.keywords import both_given, given_keywords
from upstream_prw.send import settle_environment

__all__ = [
    "AMP_LIMITS",
    "ConfigLike",
    "DeferredCredentials",
    "amp_limits",
    "build_session",
    "close_with",
    "new_exporter",
    "resolve_source",
    "sigv4_auth",
    "to_config",
]

logger = logging.getLogger(__name__)

ConfigLike = Config | Mapping[str, Any] | str | os.PathLike[str]


def to_config(config: ConfigLike) -> Config:
    """A `Config` from a `Config`, a mapping, or the path of a YAML file."""
    if isinstance(config, Config):
        return config
    if isinstance(config, Mapping):
        return Config.from_mapping(config)
    return load_config(config)


class DeferredCredentials:
    """Runs a credential lookup on first use, keeps only a success, then delegates to it.

    Thread-safe; a failed lookup raises out of this request and is tried again on the next.
    """

    def __init__(self, resolve: Callable[[], CredentialSource], description: str) -> None:
        self._resolve = resolve
        self._description = description
        self._source: CredentialSource | None = None
        self._lock = threading.Lock()
        renew_lock_after_fork(self, "_lock")

    @property
    def method(self) -> str:
        """The provider, once known (botocore's `method` convention)."""
        source = self._source
        return self._description if source is None else credential_source(source)

    def get_frozen_credentials(self) -> FrozenCredentials:
        source = self._source
        if source is None:
            with self._lock:
                if self._source is None:
                    self._source = self._resolve()
                source = self._source
        return source.get_frozen_credentials()

    def __repr__(self) -> str:
        return f"DeferredCredentials({self.method!r})"


def resolve_source(settings: AuthSettings, region: str) -> CredentialSource:
    """Run the credential lookup `settings` describe, now (the chain, a profile, a role).

    An assumed role's STS region defaults to the signing region: the workspace's own region
    is always in the right partition.
    """
    role = settings.assume_role
    if role is None:
        return resolve_credentials(profile=settings.profile)
    return resolve_credentials(
        profile=settings.profile,
        role_arn=role.arn,
        external_id=role.external_id or None,
        session_name=role.session_name or None,
        sts_region=role.sts_region or region,
        sts_endpoint=role.sts_endpoint or None,
        use_fips_sts_endpoint=settings.use_fips_sts_endpoint,
    )


def _credentials(settings: AuthSettings, region: str) -> CredentialSource | None:
    """None (SigV4Auth runs the default chain lazily) unless a profile or role is set."""
    role = settings.assume_role
    if settings.profile is None and role is None:
        return None
    what = f"role {role.arn}" if role is not None else f"profile {settings.profile}"
    return DeferredCredentials(
        functools.partial(resolve_source, settings, region), f"{what} (not resolved yet)"
    )


def sigv4_auth(
    settings: AuthSettings, endpoint: str, *, credentials: CredentialSource | None = None
) -> SigV4Auth:
    """The signer for `endpoint`: region resolved now, credentials given or looked up lazily.

    Raises `auth.RegionError` when no region can be found.
    """
    region = resolve_region(settings.region or None, endpoint=endpoint, profile=settings.profile)
    if credentials is None:
        credentials = _credentials(settings, region)
    return SigV4Auth(region=region, service=settings.service, credentials=credentials)


def build_session(
    config: Config, *, credentials: CredentialSource | None = None
) -> requests.Session | None:
    """A session that SigV4-signs every request, or None when `aws_auth` is off."""
    if not config.aws_auth.enabled:
        if infer_scope(config.endpoint) is not None:
            logger.warning(
                "%s is an Amazon Managed Service for Prometheus endpoint, which only accepts "
                "SigV4-signed requests; turn SigV4 on: aws_auth.enabled: true in a config file, "
                "--aws-auth on the command line, or "
                "OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_AUTH=true",
                config.endpoint,
            )
        return None
    _warn_tenant_header(config)
    session = requests.Session()
    session.auth = sigv4_auth(config.aws_auth, config.endpoint, credentials=credentials)
    settle_environment(session, config.endpoint)  # proxies etc. read once, not per request
    return session


def _warn_tenant_header(config: Config) -> None:
    """AMP picks the tenant from the URL's workspace and refuses a tenant header."""
    if infer_scope(config.endpoint) is None:
        return
    for name in config.remote_write.headers:
        if name.lower() == "x-scope-orgid":
            logger.warning(
                "headers.%s: Amazon Managed Service for Prometheus rejects requests that carry "
                "it (the workspace in the URL is the tenant); remove it",
                name,
            )


AMP_LIMITS = upstream_prw.LimitsSettings(max_labels_per_series=70, max_help_bytes=1024)
"""AMP's documented limits: labels per series, and bytes of metadata HELP text."""


def amp_limits(config: Config) -> upstream_prw.RemoteWriteSettings:
    """The upstream settings, with AMP's limits when SigV4 goes to an AMP workspace and
    `limits` was left as it is: a series AMP would refuse is reported instead of failing
    the request it is in, and long HELP text is cut rather than refused."""
    settings = config.remote_write
    amp = config.aws_auth.enabled and infer_scope(config.endpoint) is not None
    if amp and settings.limits == upstream_prw.LimitsSettings():
        return dataclasses.replace(settings, limits=AMP_LIMITS)
    return settings


def new_exporter(
    config: ConfigLike | None = None,
    *,
    credentials: CredentialSource | None = None,
    meter_provider: MeterProvider | None = None,
    **keywords: Any,
) -> upstream_prw.PrometheusRemoteWriteExporter:
    """The upstream exporter for `config` (a `Config`, a mapping or a YAML path), or for
    the config given as keywords: `new_exporter(endpoint=..., aws_auth={"enabled": True})`.

    Keywords are read by `Config.from_mapping`, so errors name the key; None means not
    given. `credentials` (anything with `get_frozen_credentials()`, e.g. botocore
    `Credentials`) replaces the credential chain; the demo and tests use it, applications
    normally do not. `meter_provider` turns on the exporter's own metrics.
    """
    given = given_keywords(keywords)
    if config is None:
        config = Config.from_mapping(given)
    elif given:
        raise both_given("new_exporter", given)
    config = to_config(config)
    session = build_session(config, credentials=credentials)
    exporter = upstream_prw.new_exporter(
        amp_limits(config), session=session, meter_provider=meter_provider
    )
    close_with(exporter, session)
    return exporter


def close_with(exporter: object, session: requests.Session | None) -> None:
    """Close `session` when `exporter` is garbage-collected: upstream closes only sessions
    it created, and this one lives exactly as long as the exporter it was built for."""
    if session is not None:
        weakref.finalize(exporter, session.close)
