"""Where signing credentials come from: botocore's default chain, optionally assuming a role.

Refreshing is botocore's job (refreshable and deferred credentials); the signer only ever asks
for one frozen set per request, so key, secret and token always come from the same refresh.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

import botocore.config  # type: ignore[import-untyped]
import botocore.credentials  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]

from auth.errors import CredentialsError, NoCredentialsError, RegionError

__all__ = [
    "DEFAULT_SESSION_NAME",
    "CredentialSource",
    "FrozenCredentials",
    "credential_source",
    "describe_failure",
    "renew_lock_after_fork",
    "resolve_credentials",
    "sts_client_creator",
    "utc_now",
]

DEFAULT_SESSION_NAME = "otel-remote-write"


class FrozenCredentials(Protocol):
    """One consistent key set, as botocore's `ReadOnlyCredentials`."""

    @property
    def access_key(self) -> str: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def token(self) -> str | None: ...


class CredentialSource(Protocol):
    """Anything that hands out frozen credentials, as botocore's `Credentials`."""

    def get_frozen_credentials(self) -> FrozenCredentials: ...


def credential_source(credentials: object) -> str:
    """The provider that produced `credentials` (botocore's `.method`), for display."""
    method = getattr(credentials, "method", None)
    return method if isinstance(method, str) and method else "explicit credentials"


def resolve_credentials(
    *,
    profile: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    sts_region: str | None = None,
    sts_endpoint: str | None = None,
    use_fips_sts_endpoint: bool = False,
    clock: Callable[[], datetime] | None = None,
) -> CredentialSource:
    """Run the default chain now; with `role_arn`, assume that role on top of it.

    The chain covers the environment, the shared files (`profile`), web identity / IRSA,
    the ECS and EKS Pod Identity container endpoints and IMDSv2. The assumed role is fetched
    on first use and refreshed by botocore before it expires; `clock` drives that refresh.
    `sts_endpoint` (a VPC endpoint) or `use_fips_sts_endpoint` choose where STS is called.
    """
    session = _session(profile)
    base = _default_chain(session)
    if not role_arn:
        return base
    # botocore's own lookup reads AWS_DEFAULT_REGION and the profile, not AWS_REGION.
    region = sts_region or os.environ.get("AWS_REGION") or session.get_config_variable("region")
    if not region:
        raise RegionError(
            "aws_auth.sts_region: assuming a role needs an STS region; "
            "set aws_auth.sts_region or AWS_REGION"
        )
    extra: dict[str, Any] = {"RoleSessionName": session_name or DEFAULT_SESSION_NAME}
    if external_id:
        extra["ExternalId"] = external_id

    sts_client = sts_client_creator(
        session, region, endpoint_url=sts_endpoint, use_fips=use_fips_sts_endpoint
    )
    fetcher = botocore.credentials.AssumeRoleCredentialFetcher(
        client_creator=sts_client,
        source_credentials=base,
        role_arn=role_arn,
        extra_args=extra,
        cache=_NoCache(),
    )
    credentials: CredentialSource = botocore.credentials.DeferredRefreshableCredentials(
        refresh_using=fetcher.fetch_credentials,
        method=f"assume-role (base credentials: {credential_source(base)})",
        time_fetcher=clock or utc_now,
    )
    return credentials


def sts_client_creator(
    session: Any, region: str, *, endpoint_url: str | None = None, use_fips: bool = False
) -> Callable[..., Any]:
    """How the role fetcher makes its STS client: in `region`, at `endpoint_url` when given
    (it wins), else at the FIPS endpoint (`sts-fips.<region>.amazonaws.com`) with `use_fips`."""

    def create(service: str, **kwargs: Any) -> Any:
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        if use_fips:
            fips = botocore.config.Config(use_fips_endpoint=True)
            given = kwargs.get("config")
            kwargs["config"] = given.merge(fips) if given is not None else fips
        return session.create_client(service, region_name=region, **kwargs)

    return create


def _session(profile: str | None) -> Any:
    session = botocore.session.Session(profile=profile)
    try:
        session.get_scoped_config()
    except botocore.exceptions.ProfileNotFound:
        name = profile or os.environ.get("AWS_PROFILE")
        raise CredentialsError(
            f"profile {name!r}", "it is not in the AWS config or credentials files"
        ) from None
    return session


def _default_chain(session: Any) -> CredentialSource:
    resolver = botocore.credentials.create_credential_resolver(session)
    tried = [provider.METHOD for provider in resolver.providers]
    try:
        credentials: CredentialSource | None = resolver.load_credentials()
    except Exception as exc:
        source = getattr(exc, "kwargs", {}).get("provider") or "the default chain"
        raise CredentialsError(str(source), describe_failure(exc)) from exc
    if credentials is None:
        raise NoCredentialsError(tried)
    return credentials


def describe_failure(exc: BaseException) -> str:
    """A provider failure in one line: botocore's messages already say what went wrong."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def renew_lock_after_fork(owner: object, attribute: str) -> None:
    """Give `owner.<attribute>` a new lock in every child forked from now on, while `owner`
    lives: a lock held at the fork (a credential lookup under way in another thread) would
    never be released in the child."""
    if not hasattr(os, "register_at_fork"):  # pragma: no cover - not on Windows
        return
    ref = weakref.ref(owner)

    def renew() -> None:
        target = ref()
        if target is not None:
            setattr(target, attribute, threading.Lock())

    os.register_at_fork(after_in_child=renew)


def utc_now() -> datetime:
    """The signing and refreshing clock: aware UTC, as botocore's own."""
    return datetime.now(timezone.utc)


class _NoCache(dict[str, Any]):
    """Keeps the STS fetcher from re-serving a response by the wall clock.

    RefreshableCredentials already holds the live set and decides, by the injected clock,
    when to refresh; a second cache judged by another clock could hand back a stale set.
    """

    def __contains__(self, key: object) -> bool:
        return False

    def __setitem__(self, key: str, value: Any) -> None:
        return None
