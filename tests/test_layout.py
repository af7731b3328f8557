"""The tree as DESIGN.md describes it: every module says what it exports, files stay small,
and the pure core (config, translate, encode) does no I/O, keeps no clock and starts no
thread. Modules are found by walking the packages, so a new one is checked too."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import auth
import cortex_exporter
import upstream_prw

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (upstream_prw, auth, cortex_exporter)
PURE = ("upstream_prw.config", "upstream_prw.translate", "upstream_prw.encode")
FORBIDDEN_IN_PURE = {"requests", "socket", "threading", "time", "urllib3"}
MAX_LINES = 300


def _module_names(package: ModuleType) -> list[str]:
    """The package and every module below it, except `__main__` (importing it runs it)."""
    names = [package.__name__]
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        if not info.name.endswith("__main__") and not info.name.endswith("_pb2"):
            names.append(info.name)
    return names


MODULES = [name for package in PACKAGES for name in _module_names(package)]
PURE_MODULES = [name for name in MODULES if name.startswith(PURE)]


def test_the_walk_finds_the_data_path() -> None:
    for name in (
        "upstream_prw.config.readers",
        "upstream_prw.translate.plans",
        "upstream_prw.encode.fast_path",
        "upstream_prw.send.sender",
        "cortex_exporter.cli.check",
    ):
        assert name in MODULES
    assert len(PURE_MODULES) >= 20


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_all_and_exports_what_it_defines(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert sorted(exported) == sorted(set(exported)), "listed twice"
    for attribute in exported:
        assert hasattr(module, attribute), f"{name}.{attribute}"
    defined_here = {
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == name
    }
    assert defined_here <= set(exported), sorted(defined_here - set(exported))


def _product_files() -> list[Path]:
    return sorted(
        path
        for package in ("upstream_prw", "auth", "cortex_exporter")
        for path in (ROOT / package).rglob("*.py")
        if not path.name.endswith("_pb2.py")
    )


def test_no_product_file_is_over_300_lines() -> None:
    files = _product_files()
    assert len(files) > 40
    long = {
        str(path.relative_to(ROOT)): n
        for path in files
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def _imports(name: str, seen: set[str]) -> set[str]:
    """Top-level modules `name` imports and, transitively, those our own modules import."""
    if name in seen:
        return set()
    seen.add(name)
    tree = ast.parse(inspect.getsource(importlib.import_module(name)))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for imported in names:
            found.add(imported.split(".")[0])
            if imported.startswith("upstream_prw") and not imported.endswith("_pb2"):
                found |= _imports(imported, seen)
    return found


def test_import_walk_sees_what_a_module_imports() -> None:
    assert {"requests", "threading", "time"} <= _imports("upstream_prw.send.sender", set())


@pytest.mark.parametrize("name", PURE_MODULES)
def test_pure_core_does_no_io_keeps_no_clock_starts_no_thread(name: str) -> None:
    imported = _imports(name, set())
    assert not imported & FORBIDDEN_IN_PURE, sorted(imported & FORBIDDEN_IN_PURE)
