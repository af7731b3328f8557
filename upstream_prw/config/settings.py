"""`RemoteWriteSettings`: everything the exporter needs, parsed and validated without I/O.

Built either from a mapping (YAML, JSON, a dict) with `RemoteWriteSettings.from_mapping(data)`,
or directly with keyword arguments; both paths run the same validation. Files named here
(`bearer_token_file`, `basic_auth.password_file`, TLS files) are only read when sending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from upstream_prw.config.blocks import (
    BasicAuthSettings,
    CacheSettings,
    LimitsSettings,
    QueueSettings,
    ResourceToTelemetrySettings,
    RetrySettings,
    TargetInfoSettings,
    TLSSettings,
)
from upstream_prw.config.checks import check_header_text, check_label_value, check_url
from upstream_prw.config.readers import (
    Reader,
    as_bool,
    as_duration,
    as_int,
    as_seconds,
    as_secret,
    as_str,
    as_str_map,
    construct,
    join,
    optional,
    read_fields,
    type_name,
)
from upstream_prw.config.translation import (
    UTF8_STRATEGIES,
    V1_MESSAGE,
    V2_MESSAGE,
    ResourceConstantLabels,
    check_message,
    check_strategy_name,
    resolve_scope_labels,
    resolve_strategy,
)
from upstream_prw.errors import ConfigError
from upstream_prw.translate.settings import TranslationSettings

__all__ = ["RESERVED_HEADERS", "RemoteWriteSettings"]

RESERVED_HEADERS = frozenset(
    {"content-encoding", "content-type", "x-prometheus-remote-write-version", "user-agent"}
)
"""Lower-cased headers the remote-write spec forbids users to set."""

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def _check_headers(headers: Mapping[str, str], authenticated: str | None) -> None:
    seen: set[str] = set()
    for name, value in headers.items():
        path = join("headers", name)
        lowered = name.lower()
        if not _HEADER_NAME.fullmatch(name):
            raise ConfigError(path, "invalid header name")
        if lowered in RESERVED_HEADERS:
            raise ConfigError(path, f'"{name}" is a reserved remote-write header and cannot be set')
        if lowered == "authorization" and authenticated:
            raise ConfigError(path, f"conflicts with {authenticated}")
        if lowered in seen:
            raise ConfigError(path, "header given twice (names are case-insensitive)")
        # Values may be API keys: checked for what requests would refuse, never echoed.
        check_header_text(value, path, "header value ")
        seen.add(lowered)


def _check_external_labels(labels: Mapping[str, str]) -> None:
    for name, value in labels.items():
        path = join("external_labels", name)
        if not _LABEL_NAME.fullmatch(name):
            raise ConfigError(path, "invalid label name; must match [a-zA-Z_][a-zA-Z0-9_]*")
        if name.startswith("__"):
            raise ConfigError(path, 'label names starting with "__" are reserved')
        if not value:
            raise ConfigError(path, "label value must not be empty")
        check_label_value(value, path)


def _check_block(value: object, path: str, kind: type) -> None:
    if not isinstance(value, kind):
        raise ConfigError(path, f"expected {kind.__name__}, got {type_name(value)}")


@dataclass(frozen=True, kw_only=True)
class RemoteWriteSettings:
    """Settings of one remote-write endpoint; durations are float seconds.

    Secrets (`bearer_token`, `basic_auth.password`), header values and the proxy URL are kept
    out of `repr`.
    """

    endpoint: str
    namespace: str = ""
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    timeout: float = 5.0
    tls: TLSSettings = field(default_factory=TLSSettings)
    proxy_url: str | None = field(default=None, repr=False)
    basic_auth: BasicAuthSettings | None = None
    bearer_token: str | None = field(default=None, repr=False)
    bearer_token_file: str | None = None
    external_labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    resource_to_telemetry_conversion: ResourceToTelemetrySettings = field(
        default_factory=ResourceToTelemetrySettings
    )
    target_info: TargetInfoSettings = field(default_factory=TargetInfoSettings)
    protobuf_message: str = V1_MESSAGE  # or V2_MESSAGE: Remote Write 2.0
    translation_strategy: str = ""  # "" until resolved: the default, or what the alias says
    add_metric_suffixes: bool | None = None  # deprecated alias of translation_strategy
    add_scope_labels: bool | None = None  # None: not given (true unless disable_scope_info)
    disable_scope_info: bool | None = None
    resource_constant_labels: ResourceConstantLabels = field(default_factory=ResourceConstantLabels)
    convert_explicit_histograms_to_nhcb: bool = False
    keep_classic_histograms: bool = False
    send_native_histograms: bool = True
    classic_histogram_bucket_limit: int = 40
    send_metadata: bool = False
    max_batch_size_bytes: int = 3_000_000
    retry_on_failure: RetrySettings = field(default_factory=RetrySettings)
    remote_write_queue: QueueSettings = field(default_factory=QueueSettings)
    send_stale_markers_on_shutdown: bool = True
    encoder_caches: CacheSettings = field(default_factory=CacheSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)

    def __post_init__(self) -> None:
        check_url(self.endpoint, "endpoint", ("http", "https"), credentials=False)
        as_str(self.namespace, "namespace")
        object.__setattr__(self, "headers", as_str_map(self.headers, "headers"))
        if as_seconds(self.timeout, "timeout") <= 0:
            raise ConfigError("timeout", "must be greater than 0")
        _check_block(self.tls, "tls", TLSSettings)
        if self.proxy_url is not None:
            check_url(self.proxy_url, "proxy_url", _PROXY_SCHEMES, credentials=True)
        if self.basic_auth is not None:
            _check_block(self.basic_auth, "basic_auth", BasicAuthSettings)
        self._check_bearer()
        labels = as_str_map(self.external_labels, "external_labels")
        object.__setattr__(self, "external_labels", labels)
        _check_external_labels(labels)
        _check_block(
            self.resource_to_telemetry_conversion,
            "resource_to_telemetry_conversion",
            ResourceToTelemetrySettings,
        )
        _check_block(self.target_info, "target_info", TargetInfoSettings)
        self._check_translation()
        as_bool(self.send_metadata, "send_metadata")
        as_bool(self.send_stale_markers_on_shutdown, "send_stale_markers_on_shutdown")
        as_int(self.max_batch_size_bytes, "max_batch_size_bytes", minimum=1)
        _check_block(self.retry_on_failure, "retry_on_failure", RetrySettings)
        _check_block(self.remote_write_queue, "remote_write_queue", QueueSettings)
        _check_block(self.encoder_caches, "encoder_caches", CacheSettings)
        _check_block(self.limits, "limits", LimitsSettings)
        authenticated = "basic_auth" if self.basic_auth is not None else None
        if self.bearer_token is not None or self.bearer_token_file is not None:
            authenticated = "bearer_token"
        _check_headers(self.headers, authenticated)

    def _check_translation(self) -> None:
        v2 = check_message(self.protobuf_message) == V2_MESSAGE
        strategy = resolve_strategy(self.translation_strategy, self.add_metric_suffixes, v2=v2)
        object.__setattr__(self, "translation_strategy", strategy)
        resolve_scope_labels(self.add_scope_labels, self.disable_scope_info)
        _check_block(
            self.resource_constant_labels, "resource_constant_labels", ResourceConstantLabels
        )
        if (
            self.resource_constant_labels.included is not None
            and self.resource_to_telemetry_conversion.enabled
        ):
            raise ConfigError(
                "resource_constant_labels.included",
                "conflicts with resource_to_telemetry_conversion.enabled, which promotes "
                "every resource attribute",
            )
        for name in (
            "convert_explicit_histograms_to_nhcb",
            "keep_classic_histograms",
            "send_native_histograms",
        ):
            as_bool(getattr(self, name), name)
        if self.convert_explicit_histograms_to_nhcb and not self.send_native_histograms:
            raise ConfigError(
                "convert_explicit_histograms_to_nhcb",
                "NHCB are native histograms, which send_native_histograms: false turns off",
            )
        as_int(self.classic_histogram_bucket_limit, "classic_histogram_bucket_limit", minimum=1)

    def _check_bearer(self) -> None:
        if self.bearer_token is not None:
            if not as_str(self.bearer_token, "bearer_token"):
                raise ConfigError("bearer_token", "must not be empty")
            check_header_text(self.bearer_token, "bearer_token")
        if self.bearer_token_file is not None:
            if not as_str(self.bearer_token_file, "bearer_token_file"):
                raise ConfigError("bearer_token_file", "must not be empty")
            if self.bearer_token is not None:
                raise ConfigError("bearer_token_file", "cannot be set together with bearer_token")
        if self.basic_auth is not None and (self.bearer_token or self.bearer_token_file):
            raise ConfigError("bearer_token", "cannot be combined with basic_auth")

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> RemoteWriteSettings:
        """Read the exporter's block; `path` prefixes every error (e.g. "exporters.prw")."""
        readers: dict[str, Reader] = {
            "endpoint": as_str,
            "namespace": as_str,
            "headers": as_str_map,
            "timeout": as_duration,
            "tls": TLSSettings.from_mapping,
            "proxy_url": optional(as_str),
            "basic_auth": optional(BasicAuthSettings.from_mapping),
            "bearer_token": optional(as_secret),
            "bearer_token_file": optional(as_str),
            "external_labels": as_str_map,
            "resource_to_telemetry_conversion": ResourceToTelemetrySettings.from_mapping,
            "target_info": TargetInfoSettings.from_mapping,
            "protobuf_message": check_message,
            "translation_strategy": check_strategy_name,
            "add_metric_suffixes": as_bool,
            "add_scope_labels": as_bool,
            "disable_scope_info": as_bool,
            "resource_constant_labels": ResourceConstantLabels.from_mapping,
            "convert_explicit_histograms_to_nhcb": as_bool,
            "keep_classic_histograms": as_bool,
            "send_native_histograms": as_bool,
            "classic_histogram_bucket_limit": as_int,
            "send_metadata": as_bool,
            "max_batch_size_bytes": as_int,
            "retry_on_failure": RetrySettings.from_mapping,
            "remote_write_queue": QueueSettings.from_mapping,
            "send_stale_markers_on_shutdown": as_bool,
            "encoder_caches": CacheSettings.from_mapping,
            "limits": LimitsSettings.from_mapping,
        }
        return construct(cls, read_fields(data, path, readers, required=("endpoint",)), path)

    def translation_settings(self) -> TranslationSettings:
        """The subset the translator needs; it never sees HTTP settings."""
        promoted = self.resource_constant_labels
        return TranslationSettings(
            namespace=self.namespace,
            add_metric_suffixes=self.translation_strategy.endswith("WithSuffixes"),
            utf8_names=self.translation_strategy in UTF8_STRATEGIES,
            resource_to_telemetry_conversion=(
                self.resource_to_telemetry_conversion.enabled or promoted.promotes_all
            ),
            promoted_resource_attributes=frozenset(promoted.included or ()),
            ignored_resource_attributes=frozenset(promoted.excluded or ()),
            target_info=self.target_info.enabled,
            add_scope_labels=resolve_scope_labels(self.add_scope_labels, self.disable_scope_info),
            send_metadata=self.send_metadata,
            external_labels=self.external_labels,
            native_histograms=self.send_native_histograms,
            nhcb=self.convert_explicit_histograms_to_nhcb,
            keep_classic_histograms=self.keep_classic_histograms,
            classic_bucket_limit=self.classic_histogram_bucket_limit,
            max_labels_per_series=self.limits.max_labels_per_series,
            max_help_bytes=self.limits.max_help_bytes,
        )
