"""The package's public surface: what a user needs to build settings and an exporter.

Every module's own `__all__` is checked by `tests/test_layout.py`, which walks the packages.
"""

from __future__ import annotations

import upstream_prw

PUBLIC = {
    "BasicAuthSettings",
    "CacheSettings",
    "LimitsSettings",
    "ConfigError",
    "PrometheusRemoteWriteExporter",
    "QueueSettings",
    "ResourceConstantLabels",
    "RemoteWriteSettings",
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
}


def test_exported_names() -> None:
    assert set(upstream_prw.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(upstream_prw, name) is not None


def test_settings_can_be_built_from_the_public_names_alone() -> None:
    settings = upstream_prw.RemoteWriteSettings(
        endpoint="http://127.0.0.1:9/api/v1/write",
        tls=upstream_prw.TLSSettings(insecure_skip_verify=False),
        basic_auth=upstream_prw.BasicAuthSettings(username="u", password="p"),
        retry_on_failure=upstream_prw.RetrySettings(max_elapsed_time=10.0),
        remote_write_queue=upstream_prw.QueueSettings(num_consumers=2),
        resource_to_telemetry_conversion=upstream_prw.ResourceToTelemetrySettings(enabled=True),
        target_info=upstream_prw.TargetInfoSettings(enabled=False),
    )
    assert settings.remote_write_queue.num_consumers == 2
    assert settings.translation_settings().resource_to_telemetry_conversion


def test_every_error_is_an_upstream_error() -> None:
    for name in ("ConfigError", "SendError", "RetryableSendError", "UntranslatableError"):
        assert issubclass(getattr(upstream_prw, name), upstream_prw.UpstreamPRWError)
