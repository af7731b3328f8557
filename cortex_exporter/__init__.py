"""OpenTelemetry metrics to Prometheus remote write, SigV4-signed for Amazon Managed Service
for Prometheus: a config, a factory around the unmodified `upstream_prw` exporter, and the
`cortex-exporter` command.

    exporter = cortex_exporter.new_exporter("amp.yaml")
    reader = PeriodicExportingMetricReader(exporter)
"""

from __future__ import annotations

from cortex_exporter.collector import load_collector_config
from cortex_exporter.config import AssumeRoleSettings, AuthSettings, Config
from cortex_exporter.environment import AutoConfiguredExporter, config_from_environ
from cortex_exporter.errors import (
    AuthError,
    ConfigError,
    CredentialsError,
    NoCredentialsError,
    RegionError,
    SigningError,
)
from cortex_exporter.factory import new_exporter
from cortex_exporter.loading import load_config

__all__ = [
    "AssumeRoleSettings",
    "AuthError",
    "AuthSettings",
    "AutoConfiguredExporter",
    "Config",
    "ConfigError",
    "CredentialsError",
    "NoCredentialsError",
    "RegionError",
    "SigningError",
    "config_from_environ",
    "load_collector_config",
    "load_config",
    "new_exporter",
]
