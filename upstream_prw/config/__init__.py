"""The exporter's settings: typed readers, `RemoteWriteSettings` and its nested blocks.

Pure: parsing and validation read no files and fill in no defaults beyond the fields'.
"""

from __future__ import annotations

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
from upstream_prw.config.settings import RESERVED_HEADERS, RemoteWriteSettings
from upstream_prw.config.translation import ResourceConstantLabels

__all__ = [
    "RESERVED_HEADERS",
    "BasicAuthSettings",
    "CacheSettings",
    "LimitsSettings",
    "QueueSettings",
    "RemoteWriteSettings",
    "ResourceConstantLabels",
    "ResourceToTelemetrySettings",
    "RetrySettings",
    "TLSSettings",
    "TargetInfoSettings",
]
