"""`load_config`: a YAML file with `${VAR}` / `${VAR:-default}` expanded, read into a `Config`.

Expansion happens on the parsed YAML nodes, not on the file's text: a value can never break
the YAML around it, and an unset variable is reported under its key path. A plain (unquoted)
value is typed after expansion as if the text had been written there (`enabled: ${AUTH}`
with AUTH=true is a boolean); a quoted one stays a string. `$${` is a literal `${`.

One exception to that typing: a value that expands to nothing is null (as if left empty)
only when a default asked for it (`${VAR:-}`). `${VAR}` with VAR set but empty is the empty
string, so `bearer_token: ${TOKEN}` with an empty TOKEN is refused as an empty token instead
of meaning "no token". A document is at most 256 KiB, nests at most 64 collections deep and
uses at most 100 aliases, so a hostile file costs a short error, never a RecursionError or
minutes of parsing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, NoReturn

import yaml

from cortex_exporter.config import Config
from upstream_prw.config.readers import as_mapping, join, quote
from upstream_prw.errors import ConfigError

__all__ = [
    "MAX_YAML_ALIASES",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "expand_text",
    "load_config",
    "read_config_file",
    "read_yaml",
]

MAX_YAML_BYTES = 256 * 1024
"""The largest config document read, in UTF-8 bytes. A real config is a few KiB; pure-Python
PyYAML takes about five seconds over 256 KiB of the worst shape, and twenty over 1 MiB."""
MAX_YAML_DEPTH = 64
"""How many collections deep a config document may nest; a real config needs four."""
MAX_YAML_ALIASES = 100
"""How many aliases (`*name`) a document may use: a chain of `<<: *previous` merges copies
each mapping into the next, so a few thousand of them cost minutes."""

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
# `env:` is the OpenTelemetry Collector's spelling of the same reference (`${env:NAME}`).
_REFERENCE = re.compile(
    r"(?:env:)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL
)
_STR_TAG = "tag:yaml.org,2002:str"


def _expand(text: str, path: str, environ: Mapping[str, str]) -> tuple[str, bool]:
    """`text` expanded, and whether a `${NAME}` without a default was set but empty."""
    set_but_empty = False

    def replace(match: re.Match[str]) -> str:
        nonlocal set_but_empty
        token = match.group(0)
        if token == "$${":
            return "${"
        if match.group(1) is None:
            raise ConfigError(path, 'unterminated "${"; write $${ for a literal ${')
        reference = _REFERENCE.fullmatch(match.group(1))
        if reference is None:
            raise ConfigError(
                path,
                f"invalid environment reference {quote(token)}; "
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
        set_but_empty = set_but_empty or not value
        return value

    return _TOKEN.sub(replace, text), set_but_empty


def expand_text(text: str, path: str, environ: Mapping[str, str]) -> str:
    """Replace each `${NAME}` / `${NAME:-default}` in `text`; errors name `path`."""
    return _expand(text, path, environ)[0]


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing documents deeper than MAX_YAML_DEPTH or with more
    than MAX_YAML_ALIASES aliases.

    The composer recurses once per level, so the depth is checked there, as each collection
    starts: a walk over the composed nodes would come too late, and so would construction.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._aliases = 0

    def _refuse(self, problem: str) -> NoReturn:
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        raise yaml.composer.ComposerError(None, None, problem, mark)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """As PyYAML's, but a value its type cannot hold (`2001-02-30`) is a YAML error with
        its line, not a bare ValueError."""
        try:
            return super().construct_object(node, deep)
        except ValueError:
            problem = "cannot be read as the date or number it looks like; quote it if it is text"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                self._refuse(f"more than {MAX_YAML_ALIASES} aliases")
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        if self._depth >= MAX_YAML_DEPTH:
            self._refuse(f"nested more than {MAX_YAML_DEPTH} levels deep")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _under(path: str, roots: Collection[str] | None) -> bool:
    """Whether `path` is one of `roots` or inside one (every path when `roots` is None)."""
    if roots is None:
        return True
    return any(path == root or path.startswith((f"{root}.", f"{root}[")) for root in roots)


def _expand_nodes(
    loader: _Loader,
    node: yaml.Node,
    path: str,
    env: Mapping[str, str],
    roots: Collection[str] | None = None,
) -> None:
    seen: set[int] = set()

    def walk(node: yaml.Node, path: str) -> None:
        if id(node) in seen:  # an alias: expanded where its anchor was
            return
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if "${" not in node.value or not _under(path, roots):
                return
            node.value, set_but_empty = _expand(node.value, path, env)
            if node.value == "" and set_but_empty:
                return  # stays the empty string: an empty variable is not an absent key
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


def _shown(name: str) -> str:
    """A file name as it is, or quoted and escaped if it would break the message's line."""
    return name if name.isprintable() else quote(name)


def _too_large(text: str) -> bool:
    if len(text) > MAX_YAML_BYTES:
        return True
    return not text.isascii() and len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES


def read_yaml(
    text: str,
    *,
    environ: Mapping[str, str] | None = None,
    source: str = "",
    expand_under: Collection[str] | None = None,
) -> Any:
    """Parse one YAML document and expand environment references in its values.

    At most MAX_YAML_BYTES long and MAX_YAML_DEPTH deep; `source` names it in errors.
    `expand_under` (key paths) limits expansion to those blocks: a Collector file's other
    components may name variables this process never has.
    """
    env = os.environ if environ is None else environ
    where = f"{_shown(source)}: " if source else ""
    if _too_large(text):
        raise ConfigError("", f"{where}YAML text larger than 256 KiB")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expand_nodes(loader, node, "", env, expand_under)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError("", f"{where}invalid YAML{at}: {problem}") from None
    finally:
        loader.dispose()


def read_config_file(
    path: str | os.PathLike[str],
    *,
    environ: Mapping[str, str] | None = None,
    key: str = "",
    expand_under: Collection[str] | None = None,
) -> Mapping[str, object]:
    """The mapping in the YAML file at `path`, environment references expanded.

    `key` is the setting that named the file (an environment variable, say): errors are
    reported under it, and then need not repeat the file's name.
    """
    name = os.fspath(path)
    cannot = f"cannot read config file {_shown(name)}"
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_YAML_BYTES + 1)  # never more, whatever the path names
    except OSError as error:
        raise ConfigError(key, f"{cannot}: {error.strerror}") from None
    if len(data) > MAX_YAML_BYTES:
        raise ConfigError(key, f"{cannot}: larger than 256 KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(key, f"{cannot}: not UTF-8 text (byte {error.start})") from None
    source = "" if key else name
    return as_mapping(
        read_yaml(text, environ=environ, source=source, expand_under=expand_under), ""
    )


def load_config(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> Config:
    """Read the YAML file at `path` into a `Config`; the only I/O is reading that file."""
    return Config.from_mapping(read_config_file(path, environ=environ))
