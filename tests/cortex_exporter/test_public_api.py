"""The package's public surface, and `__all__` in every module."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

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
    "load_config",
    "new_exporter",
}
MODULES = sorted(
    info.name for info in pkgutil.iter_modules(cortex_exporter.__path__) if info.name != "__main__"
)


def test_exported_names() -> None:
    assert set(cortex_exporter.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(cortex_exporter, name) is not None


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_all_and_exports_what_it_defines(name: str) -> None:
    module = importlib.import_module(f"cortex_exporter.{name}")
    exported = module.__all__
    assert sorted(exported) == sorted(set(exported))
    for attribute in exported:
        assert hasattr(module, attribute), f"{name}.{attribute}"
    defined_here = {
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }
    assert defined_here <= set(exported), name


def test_modules_stay_small() -> None:
    for name in MODULES:
        source = inspect.getsource(importlib.import_module(f"cortex_exporter.{name}"))
        assert len(source.splitlines()) <= 300, name
