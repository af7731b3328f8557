"""`Config`: the upstream remote-write settings, unchanged, plus the `aws_auth` block.

Every upstream key keeps its meaning and default; `aws_auth` is read here and never reaches
`upstream_prw`, which stays free of AWS. Parsing does no I/O: the region is only checked for
shape here and resolved (endpoint, environment, profile) when the exporter is built.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from auth.region import is_region_code, is_service_name
from upstream_prw import RemoteWriteSettings
from upstream_prw.config.checks import check_url
from upstream_prw.config.readers import (
    Reader,
    as_bool,
    as_mapping,
    as_str,
    check_keys,
    construct,
    join,
    optional,
    quote,
    read_fields,
)
from upstream_prw.errors import ConfigError

__all__ = ["AUTH_KEY", "REMOTE_WRITE_KEYS", "AssumeRoleSettings", "AuthSettings", "Config"]

AUTH_KEY = "aws_auth"
REMOTE_WRITE_KEYS = frozenset(f.name for f in dataclasses.fields(RemoteWriteSettings))
"""Top-level keys owned by the upstream exporter (its settings' field names)."""

_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")


_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _check_sts_endpoint(url: str) -> None:
    """An STS endpoint (a VPC endpoint, say) receives signed credential requests: https,
    no userinfo, nothing after the host but a path. Plain http only to this machine."""
    check_url(url, "sts_endpoint", ("https", "http"), credentials=False)
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ConfigError("sts_endpoint", "must be an https URL (http only for 127.0.0.1)")
    if parts.query or parts.fragment:
        raise ConfigError("sts_endpoint", "must not have a query or fragment")


def _check_region(value: str, path: str) -> None:
    if value and not is_region_code(value):
        raise ConfigError(
            path, f"{quote(value)} is not an AWS region code; use lower case, e.g. us-east-1"
        )


@dataclass(frozen=True, kw_only=True)
class AssumeRoleSettings:
    """`aws_auth.assume_role`: sign as this role, assumed with the default chain's credentials.

    `sts_region` empty means the signing region: STS in the workspace's own region is always
    in the right partition. `sts_endpoint` replaces the STS URL (a VPC endpoint where there is
    no route to the public one). `external_id` is kept out of repr.
    """

    arn: str
    external_id: str = field(default="", repr=False)
    session_name: str = ""
    sts_region: str = ""
    sts_endpoint: str = ""

    def __post_init__(self) -> None:
        if not _ROLE_ARN.fullmatch(as_str(self.arn, "arn")):
            raise ConfigError(
                "arn",
                "expected an IAM role ARN like arn:aws:iam::123456789012:role/name, "
                f"got {quote(self.arn)}",
            )
        if as_str(self.external_id, "external_id") and not _EXTERNAL_ID.fullmatch(self.external_id):
            raise ConfigError("external_id", "must be 2 to 1224 of A-Z a-z 0-9 +=,.@:/-_")
        if as_str(self.session_name, "session_name") and not _SESSION_NAME.fullmatch(
            self.session_name
        ):
            raise ConfigError("session_name", "must be 2 to 64 of A-Z a-z 0-9 +=,.@-_")
        _check_region(as_str(self.sts_region, "sts_region"), "sts_region")
        if as_str(self.sts_endpoint, "sts_endpoint"):
            _check_sts_endpoint(self.sts_endpoint)

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> AssumeRoleSettings:
        readers: dict[str, Reader] = {
            "arn": as_str,
            "external_id": as_str,
            "session_name": as_str,
            "sts_region": as_str,
            "sts_endpoint": as_str,
        }
        return construct(cls, read_fields(data, path, readers, required=("arn",)), path)


@dataclass(frozen=True, kw_only=True)
class AuthSettings:
    """`aws_auth`: SigV4-sign every request (Amazon Managed Service for Prometheus needs it).

    An empty `region` is inferred when the exporter is built: from an AMP endpoint, else
    AWS_REGION / AWS_DEFAULT_REGION, else the profile's region.
    """

    enabled: bool = False
    region: str = ""
    service: str = "aps"
    profile: str | None = None
    assume_role: AssumeRoleSettings | None = None
    use_fips_sts_endpoint: bool = False

    def __post_init__(self) -> None:
        as_bool(self.enabled, "enabled")
        if as_bool(self.use_fips_sts_endpoint, "use_fips_sts_endpoint") and not self.assume_role:
            raise ConfigError(
                "use_fips_sts_endpoint",
                "only used to assume aws_auth.assume_role; for the default chain's own STS "
                "calls (web identity) set AWS_USE_FIPS_ENDPOINT=true",
            )
        _check_region(as_str(self.region, "region"), "region")
        service = as_str(self.service, "service")
        if not is_service_name(service):
            raise ConfigError("service", f'{quote(service)} is not a service name; AMP\'s is "aps"')
        if self.profile is not None and not as_str(self.profile, "profile").strip():
            raise ConfigError("profile", "must not be empty; remove it to use the default")
        if self.assume_role is not None and not isinstance(self.assume_role, AssumeRoleSettings):
            raise ConfigError("assume_role", "expected AssumeRoleSettings")

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> AuthSettings:
        readers: dict[str, Reader] = {
            "enabled": as_bool,
            "region": optional(as_str),
            "service": as_str,
            "profile": optional(as_str),
            "assume_role": optional(AssumeRoleSettings.from_mapping),
            "use_fips_sts_endpoint": as_bool,
        }
        fields = read_fields(data, path, readers)
        if fields.get("region", "") is None:  # `region:` left empty in YAML means "infer"
            fields["region"] = ""
        return construct(cls, fields, path)


@dataclass(frozen=True, kw_only=True)
class Config:
    """The whole exporter config: `remote_write` (upstream's) and `aws_auth` (ours)."""

    remote_write: RemoteWriteSettings
    aws_auth: AuthSettings = field(default_factory=AuthSettings)

    def __post_init__(self) -> None:
        if not isinstance(self.remote_write, RemoteWriteSettings):
            raise ConfigError("", "remote_write must be RemoteWriteSettings")
        if not isinstance(self.aws_auth, AuthSettings):
            raise ConfigError(AUTH_KEY, "expected AuthSettings")
        if self.aws_auth.enabled:
            _check_no_other_auth(self.remote_write)

    @property
    def endpoint(self) -> str:
        return self.remote_write.endpoint

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> Config:
        """Read a whole config; every error starts with the key path under `path`."""
        block = as_mapping(data, path)
        check_keys(block, REMOTE_WRITE_KEYS | {AUTH_KEY}, path)
        upstream = {key: value for key, value in block.items() if key != AUTH_KEY}
        remote_write = RemoteWriteSettings.from_mapping(upstream, path)
        auth_path = join(path, AUTH_KEY)
        aws_auth = AuthSettings.from_mapping(block.get(AUTH_KEY, {}), auth_path)
        return construct(cls, {"remote_write": remote_write, "aws_auth": aws_auth}, path)


def _check_no_other_auth(settings: RemoteWriteSettings) -> None:
    """SigV4 owns the Authorization header; a second scheme would be silently overridden."""
    where = f"{AUTH_KEY}.enabled"
    if settings.basic_auth is not None:
        raise ConfigError(where, "cannot be combined with basic_auth; remove one of them")
    if settings.bearer_token is not None or settings.bearer_token_file is not None:
        raise ConfigError(where, "cannot be combined with bearer_token; remove one of them")
    for name in settings.headers:
        if name.lower() == "authorization":
            raise ConfigError(
                where, f"cannot be combined with headers.{name}; SigV4 sets Authorization"
            )
