"""The nested blocks of the exporter's settings, one frozen dataclass each.

Every block validates itself in `__post_init__` (so direct construction is checked too) and is
read from a mapping by `from_mapping(data, path)`, which reports errors under the full key path.
Defaults are the OpenTelemetry Collector's `prometheusremotewrite` exporter's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from upstream_prw.config.checks import check_header_text
from upstream_prw.config.readers import (
    Reader,
    as_bool,
    as_duration,
    as_int,
    as_number,
    as_seconds,
    as_secret,
    as_str,
    construct,
    optional,
    read_fields,
)
from upstream_prw.errors import ConfigError

__all__ = [
    "BasicAuthSettings",
    "CacheSettings",
    "LimitsSettings",
    "QueueSettings",
    "ResourceToTelemetrySettings",
    "RetrySettings",
    "TLSSettings",
    "TargetInfoSettings",
]


def _optional_path(value: object, path: str) -> None:
    if value is not None and not as_str(value, path):
        raise ConfigError(path, "must not be empty")


@dataclass(frozen=True, kw_only=True)
class TLSSettings:
    """`tls`: how the server is verified and how we present a client certificate."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False

    def __post_init__(self) -> None:
        for name in ("ca_file", "cert_file", "key_file"):
            _optional_path(getattr(self, name), name)
        as_bool(self.insecure_skip_verify, "insecure_skip_verify")
        if self.key_file is not None and self.cert_file is None:
            raise ConfigError("key_file", "requires cert_file")

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> TLSSettings:
        readers: dict[str, Reader] = {
            "ca_file": optional(as_str),
            "cert_file": optional(as_str),
            "key_file": optional(as_str),
            "insecure_skip_verify": as_bool,
        }
        return construct(cls, read_fields(data, path, readers), path)


@dataclass(frozen=True, kw_only=True)
class BasicAuthSettings:
    """`basic_auth`: a password given inline or read from `password_file` at send time.

    Both are checked as header text: requests encodes them as Latin-1, and a control
    character in either is a pasting accident. "" is no inline password; an empty one read
    from a config is refused by `from_mapping`.
    """

    username: str
    password: str = field(default="", repr=False)
    password_file: str | None = None

    def __post_init__(self) -> None:
        check_header_text(as_str(self.username, "username"), "username")
        if ":" in self.username:
            raise ConfigError("username", 'must not contain ":", which ends the user name')
        if as_str(self.password, "password"):
            check_header_text(self.password, "password")
        _optional_path(self.password_file, "password_file")
        if self.password and self.password_file is not None:
            raise ConfigError("password_file", "cannot be set together with password")

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> BasicAuthSettings:
        readers: dict[str, Reader] = {
            "username": as_str,
            "password": as_secret,
            "password_file": optional(as_str),
        }
        return construct(cls, read_fields(data, path, readers, required=("username",)), path)


@dataclass(frozen=True, kw_only=True)
class RetrySettings:
    """`retry_on_failure`: exponential backoff with jitter; max_elapsed_time 0 retries forever."""

    enabled: bool = True
    initial_interval: float = 0.05
    max_interval: float = 30.0
    max_elapsed_time: float = 300.0
    multiplier: float = 1.5
    randomization_factor: float = 0.5

    def __post_init__(self) -> None:
        as_bool(self.enabled, "enabled")
        for name in ("initial_interval", "max_interval", "max_elapsed_time"):
            as_seconds(getattr(self, name), name)
        # A multiplier below 1 would shrink the waits, which is no backoff at all.
        as_number(self.multiplier, "multiplier", minimum=1.0)
        as_number(self.randomization_factor, "randomization_factor", minimum=0.0, maximum=1.0)
        if self.initial_interval <= 0:
            raise ConfigError("initial_interval", "must be greater than 0")
        if self.max_interval < self.initial_interval:
            raise ConfigError("max_interval", "must not be less than initial_interval")

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> RetrySettings:
        readers: dict[str, Reader] = {
            "enabled": as_bool,
            "initial_interval": as_duration,
            "max_interval": as_duration,
            "max_elapsed_time": as_duration,
            "multiplier": as_number,
            "randomization_factor": as_number,
        }
        return construct(cls, read_fields(data, path, readers), path)


@dataclass(frozen=True, kw_only=True)
class QueueSettings:
    """`remote_write_queue`: bounded in-memory queue drained by one consumer per shard.

    Bounded twice: `queue_size` requests and `max_bytes` of compressed payload, each shard
    holding at most its share of both, so one stuck shard cannot crowd out the others.
    """

    enabled: bool = True
    queue_size: int = 10000
    num_consumers: int = 5
    max_bytes: int = 64 * 1024 * 1024

    def __post_init__(self) -> None:
        as_bool(self.enabled, "enabled")
        as_int(self.queue_size, "queue_size", minimum=1)
        as_int(self.num_consumers, "num_consumers", minimum=1)
        as_int(self.max_bytes, "max_bytes", minimum=1)

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> QueueSettings:
        readers: dict[str, Reader] = {
            "enabled": as_bool,
            "queue_size": as_int,
            "num_consumers": as_int,
            "max_bytes": as_int,
        }
        return construct(cls, read_fields(data, path, readers), path)


@dataclass(frozen=True, kw_only=True)
class ResourceToTelemetrySettings:
    """`resource_to_telemetry_conversion`: copy resource attributes onto every series."""

    enabled: bool = False

    def __post_init__(self) -> None:
        as_bool(self.enabled, "enabled")

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> ResourceToTelemetrySettings:
        return construct(cls, read_fields(data, path, {"enabled": as_bool}), path)


@dataclass(frozen=True, kw_only=True)
class TargetInfoSettings:
    """`target_info`: emit the `target_info` series carrying resource attributes."""

    enabled: bool = True

    def __post_init__(self) -> None:
        as_bool(self.enabled, "enabled")

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> TargetInfoSettings:
        return construct(cls, read_fields(data, path, {"enabled": as_bool}), path)


@dataclass(frozen=True, kw_only=True)
class CacheSettings:
    """`encoder_caches`: the most entries each of the encoder's caches keeps; the least
    recently used goes first. The defaults hold well over 10k distinct series' worth; a
    lower limit bounds memory harder when attribute keys or values churn, and costs
    re-encoding when the working set is larger than the cache."""

    max_label_templates: int = 4096
    max_label_values: int = 8192
    max_bucket_layouts: int = 64
    max_entry_templates: int = 256

    def __post_init__(self) -> None:
        for name in (
            "max_label_templates",
            "max_label_values",
            "max_bucket_layouts",
            "max_entry_templates",
        ):
            as_int(getattr(self, name), name, minimum=1)

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> CacheSettings:
        readers: dict[str, Reader] = {
            "max_label_templates": as_int,
            "max_label_values": as_int,
            "max_bucket_layouts": as_int,
            "max_entry_templates": as_int,
        }
        return construct(cls, read_fields(data, path, readers), path)


@dataclass(frozen=True, kw_only=True)
class LimitsSettings:
    """`limits`: what the backend accepts, so that a series it would refuse is reported
    (and not sent, taking its request down with it) and HELP text is cut to fit. 0 is no
    limit. The AMP wrapper sets AMP's documented 70 labels and 1,024 bytes."""

    max_labels_per_series: int = 0
    max_help_bytes: int = 0

    def __post_init__(self) -> None:
        as_int(self.max_labels_per_series, "max_labels_per_series", minimum=0)
        as_int(self.max_help_bytes, "max_help_bytes", minimum=0)

    @classmethod
    def from_mapping(cls, data: object, path: str = "") -> LimitsSettings:
        readers: dict[str, Reader] = {"max_labels_per_series": as_int, "max_help_bytes": as_int}
        return construct(cls, read_fields(data, path, readers), path)
