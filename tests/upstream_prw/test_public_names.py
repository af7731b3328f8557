"""Every module says what it exports, and exports what it defines publicly."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

_MODULES = [
    "upstream_prw.config.readers",
    "upstream_prw.config.settings",
    "upstream_prw.config.blocks",
    "upstream_prw.send.queue",
    "upstream_prw.send.retry",
    "upstream_prw.send.sender",
    "upstream_prw.send.stats",
    "upstream_prw.version",
]


@pytest.mark.parametrize("name", _MODULES)
def test_all_lists_existing_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert sorted(exported) == sorted(set(exported))
    for attribute in exported:
        assert hasattr(module, attribute), f"{name}.{attribute}"
    defined_here = {
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == name
    }
    assert defined_here <= set(exported)


def _imports(name: str, seen: set[str]) -> set[str]:
    """Top-level modules imported by `name` and, transitively, by our own modules it imports."""
    if name in seen:
        return set()
    seen.add(name)
    tree = ast.parse(inspect.getsource(importlib.import_module(name)))
    found: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for imported in names:
            found.add(imported.split(".")[0])
            if imported.startswith("upstream_prw"):
                found |= _imports(imported, seen)
    return found


@pytest.mark.parametrize("name", ["upstream_prw.config.settings", "upstream_prw.send.retry"])
def test_pure_core_imports_neither_requests_nor_time(name: str) -> None:
    imported = _imports(name, set())
    assert "upstream_prw" in imported
    assert not imported & {"requests", "time", "urllib3", "socket", "threading"}
