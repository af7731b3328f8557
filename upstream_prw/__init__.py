"""A Prometheus remote-write exporter for the OpenTelemetry Python SDK.

It knows nothing of any cloud: authentication, if any, comes in through the optional
`requests.Session` handed to `new_exporter`, and runs on every request it sends.

The data path is the package layout: `config` → `translate` → `encode` → `send`, driven by
`exporter`.
"""

from upstream_prw.config import (
    BasicAuthSettings,
    CacheSettings,
    LimitsSettings,
    QueueSettings,
    RemoteWriteSettings,
    ResourceConstantLabels,
    ResourceToTelemetrySettings,
    RetrySettings,
    TargetInfoSettings,
    TLSSettings,
)
from upstream_prw.errors import (
    ConfigError,
    RetryableSendError,
    SendError,
    UntranslatableError,
    UpstreamPRWError,
)
from upstream_prw.exporter import PrometheusRemoteWriteExporter, new_exporter
from upstream_prw.send.stats import StatsSnapshot
from upstream_prw.translate.settings import TranslationSettings

__all__ = [
    "BasicAuthSettings",
    "CacheSettings",
    "ConfigError",
    "LimitsSettings",
    "PrometheusRemoteWriteExporter",
    "QueueSettings",
    "RemoteWriteSettings",
    "ResourceConstantLabels",
    "ResourceToTelemetrySettings",
    "RetrySettings",
    "RetryableSendError",
    "SendError",
    "StatsSnapshot",
    "TLSSettings",
    "TargetInfoSettings",
    "TranslationSettings",
    "UntranslatableError",
    "UpstreamPRWError",
    "new_exporter",
]
