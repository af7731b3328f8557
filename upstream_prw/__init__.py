"""A Prometheus remote-write exporter for the OpenTelemetry Python SDK.

It knows nothing of any cloud: authentication, if any, comes in through the optional
`requests.Session` handed to `new_exporter`, and runs on every request it sends.
"""

from upstream_prw.config import RemoteWriteSettings
from upstream_prw.errors import (
    ConfigError,
    PermanentSendError,
    RetryableSendError,
    SendError,
    UpstreamPRWError,
)
from upstream_prw.exporter import PrometheusRemoteWriteExporter, new_exporter
from upstream_prw.stats import StatsSnapshot
from upstream_prw.translate.settings import TranslationSettings

__all__ = [
    "ConfigError",
    "PermanentSendError",
    "PrometheusRemoteWriteExporter",
    "RemoteWriteSettings",
    "RetryableSendError",
    "SendError",
    "StatsSnapshot",
    "TranslationSettings",
    "UpstreamPRWError",
    "new_exporter",
]
