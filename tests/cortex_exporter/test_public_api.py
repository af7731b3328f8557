"""The package's public surface (every module's `__all__`: `tests/test_layout.py`)."""

from __future__ import annotations

import cortex_exporter

PUBLIC = {
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
}


def test_exported_names() -> None:
    assert set(cortex_exporter.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(cortex_exporter, name) is not None
