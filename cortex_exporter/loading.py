"""`load_config`: a YAML file with `${VAR}` / `${VAR:-default}` expanded, read into a `Config`.

Expansion happens on the parsed YAML nodes, not on the file's text: a value can never break
the YAML around it, and an unset variable is reported under its key path. A plain (unquoted)
value is typed after expansion as if the text had been written there (`enabled: ${AUTH}`
with AUTH=true is a boolean); a quoted one stays a string. `$${` is a literal `${`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from cortex_exporter.config import Config
from upstream_prw.config.readers import as_mapping, join
from upstream_prw.errors import ConfigError

__all__ = ["expand_text", "load_config", "read_config_file", "read_yaml"]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_REFERENCE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)
_STR_TAG = "tag:yaml.org,2002:str"


def expand_text(text: str, path: str, environ: Mapping[str, str]) -> str:
    """Replace each `${NAME}` / `${NAME:-default}` in `text`; errors name `path`."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        if match.group(1) is None:
            raise ConfigError(path, 'unterminated "${"; write $${ for a literal ${')
        reference = _REFERENCE.fullmatch(match.group(1))
        if reference is None:
            raise ConfigError(
                path,
                f'invalid environment reference "{token}"; '
                "expected ${NAME} or ${NAME:-default}",
            )
        name, default = reference["name"], reference["default"]
        value = environ.get(name)
        if default is not None and not value:  # as in the shell: unset or empty
            return default
        if value is None:
            raise ConfigError(
                path,
                f"environment variable {name} is not set; set it, or give a default "
                f"with ${{{name}:-default}}",
            )
        return value

    return _TOKEN.sub(replace, text)


def _expand_nodes(
    loader: yaml.SafeLoader, node: yaml.Node, path: str, env: Mapping[str, str]
) -> None:
    seen: set[int] = set()

    def walk(node: yaml.Node, path: str) -> None:
        if id(node) in seen:  # an alias: expanded where its anchor was
            return
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if "${" not in node.value:
                return
            node.value = expand_text(node.value, path, env)
            if node.style is None and node.tag == _STR_TAG:
                resolved = loader.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
                node.tag = str(resolved)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, join(path, str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{path}[{index}]")

    walk(node, path)


def read_yaml(text: str, *, environ: Mapping[str, str] | None = None, source: str = "") -> Any:
    """Parse one YAML document and expand environment references in its values."""
    env = os.environ if environ is None else environ
    where = f"{source}: " if source else ""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expand_nodes(loader, node, "", env)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError("", f"{where}invalid YAML{at}: {problem}") from None
    finally:
        loader.dispose()


def read_config_file(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None, key: str = ""
) -> Mapping[str, object]:
    """The mapping in the YAML file at `path`, environment references expanded.

    `key` is the setting that named the file (an environment variable, say): errors are
    reported under it, and then need not repeat the file's name.
    """
    name = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(key, f"cannot read config file {name}: {error.strerror}") from None
    return as_mapping(read_yaml(text, environ=environ, source="" if key else name), "")


def load_config(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> Config:
    """Read the YAML file at `path` into a `Config`; the only I/O is reading that file."""
    return Config.from_mapping(read_config_file(path, environ=environ))
