"""`load_collector_config`: the remote-write exporter of an OpenTelemetry Collector file.

People moving from the Collector (or the AWS Distro for OpenTelemetry) already have a file
with a `prometheusremotewrite` exporter and a `sigv4auth` extension. That exporter's keys
mean what ours mean, so they are read as ours; the extension becomes `aws_auth`. Keys with
no meaning in-process are named in one warning, never dropped silently. Environment
references (`${env:NAME}`, `${NAME}`, with `:-default`) are expanded in those two blocks
only: the file's other components may name variables this process does not have.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cortex_exporter.collector_keys import (
    CLIENT_KEYS,
    EXPORTER_TYPES,
    PASS_THROUGH,
    SAME_MEANING,
    SAME_WHEN,
    SIGV4_TYPE,
    TLS_KEYS,
    UNSUPPORTED,
)
from cortex_exporter.config import AUTH_KEY, Config
from cortex_exporter.loading import read_config_file
from upstream_prw.config.readers import as_mapping, as_str, join, quote
from upstream_prw.errors import ConfigError

__all__ = [
    "DEFAULT_EXPORTER",
    "CollectorConfig",
    "load_collector_config",
    "read_collector_config",
    "warn_unused",
]

logger = logging.getLogger(__name__)

DEFAULT_EXPORTER = "prometheusremotewrite"
_ROLE_KEYS = ("arn", "session_name", "sts_region", "external_id")


@dataclass(frozen=True)
class CollectorConfig:
    """What was read: the config, where each of our keys came from, and what was not used.

    `origins` maps our key paths (`endpoint`, `aws_auth.region`) to the Collector's
    (`exporters.prometheusremotewrite.endpoint`, `extensions.sigv4auth.region`).
    """

    config: Config
    origins: Mapping[str, str] = field(default_factory=dict)
    unused: tuple[str, ...] = ()
    exporter_path: str = ""


def _type(name: str) -> str:
    return name.split("/", 1)[0]


def _pick_exporter(exporters: Mapping[str, object], name: str) -> str:
    """`name` itself; or, for the default, the file's only remote-write exporter."""
    if name in exporters:
        return name
    found = [key for key in exporters if _type(key) in EXPORTER_TYPES]
    if name == DEFAULT_EXPORTER and len(found) == 1:
        return found[0]
    listed = ", ".join(found) if found else "none"
    raise ConfigError(
        join("exporters", name),
        f"no such exporter; remote-write exporters in this file: {listed}",
    )


def _block(data: Mapping[str, object], key: str, path: str) -> Mapping[str, object]:
    value = data.get(key)
    return {} if value is None else as_mapping(value, join(path, key))


def _authenticator(exporter: Mapping[str, object], client_path: str) -> str | None:
    auth = exporter.get("auth")
    if auth is None:
        return None
    path = join(client_path, "auth")
    name = as_str(as_mapping(auth, path).get("authenticator"), join(path, "authenticator"))
    if _type(name) != SIGV4_TYPE:
        raise ConfigError(
            join(path, "authenticator"),
            f"{quote(name)} is not supported here, only sigv4auth; for basic or bearer "
            "auth use basic_auth or bearer_token in a config file (--config)",
        )
    return name


class _Reader:
    """Walks the exporter block, collecting our mapping, origins and unused keys."""

    def __init__(self, exporter_path: str) -> None:
        self.exporter_path = exporter_path
        self.data: dict[str, Any] = {}
        self.origins: dict[str, str] = {}
        self.unused: list[str] = []

    def take(self, ours: str, value: object, theirs: str) -> None:
        self.data[ours] = value
        self.origins[ours] = theirs

    def skip(self, key: str, path: str, value: object) -> None:
        """Report `path` unless its value is what we do anyway."""
        if key in SAME_WHEN and value == SAME_WHEN[key]:
            return
        if key == "compression":  # the Collector refuses it too
            raise ConfigError(path, "compression type must be snappy")
        parts = key.split(".")
        reason = UNSUPPORTED.get(key) or UNSUPPORTED.get(parts[0]) or UNSUPPORTED.get(parts[-1])
        self.unused.append(f"{path} ({reason or 'not used in-process'})")

    def tls(self, value: object, path: str) -> None:
        if value is None:
            return
        kept: dict[str, object] = {}
        for key, item in as_mapping(value, path).items():
            if key in TLS_KEYS:
                kept[key] = item
            elif key != "insecure":  # for an HTTP client the endpoint's scheme decides
                self.skip(f"tls.{key}", join(path, key), item)
        self.take("tls", kept, path)

    def client_key(self, key: str, value: object, path: str) -> None:
        if key == "tls":
            self.tls(value, path)
        elif key in SAME_MEANING:
            self.take(key, value, path)
        elif key != "auth":  # the authenticator is read on its own
            self.skip(key, path, value)

    def exporter(self, block: Mapping[str, object]) -> None:
        path = self.exporter_path
        nested = "http" in block
        if nested:
            http_path = join(path, "http")
            for key, value in _block(block, "http", path).items():
                self.client_key(key, value, join(http_path, key))
        for key, value in block.items():
            where = join(path, key)
            if key == "http":
                continue
            if key in CLIENT_KEYS and key != "timeout":
                if nested:  # the Collector ignores these when `http` is given
                    self.unused.append(f"{where} (http is set, so the Collector ignores it)")
                else:
                    self.client_key(key, value, where)
            elif key == "resource_to_telemetry_conversion" and isinstance(value, Mapping):
                value = dict(value)
                excluded = value.pop("exclude_service_attributes", None)
                if excluded:
                    self.skip(
                        "exclude_service_attributes",
                        join(where, "exclude_service_attributes"),
                        excluded,
                    )
                self.take(key, value, where)
            elif (
                key == "add_metric_suffixes"
                and isinstance(value, bool)
                and "translation_strategy" not in block
            ):  # the Collector's older key, read as the strategy it names
                strategy = "UnderscoreEscapingWith" + ("Suffixes" if value else "outSuffixes")
                self.take("translation_strategy", strategy, where)
            elif key == "export_created_metric" and isinstance(value, Mapping):
                self.skip("export_created_metric.enabled", where, value.get("enabled", False))
            elif key in SAME_MEANING or key in PASS_THROUGH:
                self.take(key, value, where)  # a top-level timeout wins over http.timeout
            else:
                self.skip(key, where, value)


def _aws_auth(extension: Mapping[str, object], path: str) -> tuple[dict[str, Any], dict[str, str]]:
    auth: dict[str, Any] = {"enabled": True}
    origins = {f"{AUTH_KEY}.{key}": join(path, key) for key in ("region", "service")}
    for key, value in extension.items():
        where = join(path, key)
        if key in ("region", "service"):
            if value not in (None, ""):  # empty: inferred, as the extension does
                auth[key] = value
        elif key == "assume_role" and value is not None:
            role = dict(as_mapping(value, where))
            unknown = sorted(set(role) - set(_ROLE_KEYS))
            if unknown:
                raise ConfigError(
                    join(where, unknown[0]), "unknown key; valid keys: " + ", ".join(_ROLE_KEYS)
                )
            if role.get("arn"):
                auth[key] = {k: v for k, v in role.items() if v not in (None, "")}
            origins[f"{AUTH_KEY}.assume_role"] = where
        elif key == "assume_role_with_web_identity":
            raise ConfigError(where, f"not supported here; {UNSUPPORTED[key]}")
        else:
            raise ConfigError(where, "unknown key; valid keys: assume_role, region, service")
    return auth, origins


def _theirs(path: str, origins: Mapping[str, str], fallback: str) -> str:
    """Our key path as the file spells it: the longest known prefix, swapped."""
    best = ""
    for ours in origins:
        if (path == ours or path.startswith(f"{ours}.")) and len(ours) > len(best):
            best = ours
    if best:
        return origins[best] + path[len(best) :]
    return join(fallback, path) if path else fallback


def read_collector_config(
    path: str | os.PathLike[str],
    exporter: str = DEFAULT_EXPORTER,
    *,
    environ: Mapping[str, str] | None = None,
) -> CollectorConfig:
    """Read the exporter `exporter` of the Collector file at `path`; does not warn."""
    names = as_mapping(read_config_file(path, expand_under=()), "")
    exporters = as_mapping(names.get("exporters") or {}, "exporters")
    chosen = _pick_exporter(exporters, exporter)
    exporter_path = join("exporters", chosen)
    raw = as_mapping(exporters[chosen] or {}, exporter_path)
    client = _block(raw, "http", exporter_path) if "http" in raw else raw
    client_path = join(exporter_path, "http") if "http" in raw else exporter_path
    extension = _authenticator(client, client_path)
    roots = [exporter_path] + ([join("extensions", extension)] if extension else [])
    document = read_config_file(path, environ=environ, expand_under=roots)
    block = as_mapping(as_mapping(document["exporters"], "exporters")[chosen] or {}, exporter_path)
    reader = _Reader(exporter_path)
    reader.exporter(block)
    origins = dict(reader.origins)
    auth_path = join(client_path, "auth.authenticator")
    origins[f"{AUTH_KEY}.enabled"] = auth_path
    if extension is not None:
        extension_path = join("extensions", extension)
        extensions = as_mapping(document.get("extensions") or {}, "extensions")
        if extension not in extensions:
            raise ConfigError(extension_path, f"not defined, but {auth_path} names it")
        settings = as_mapping(extensions[extension] or {}, extension_path)
        reader.data[AUTH_KEY], auth_origins = _aws_auth(settings, extension_path)
        origins.update(auth_origins)
    try:
        config = Config.from_mapping(reader.data)
    except ConfigError as error:
        raise ConfigError(_theirs(error.path, origins, exporter_path), error.problem) from None
    return CollectorConfig(config, origins, tuple(reader.unused), exporter_path)


def load_collector_config(
    path: str | os.PathLike[str],
    exporter: str = DEFAULT_EXPORTER,
    *,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """A `Config` from the Collector file at `path`: its exporter `exporter` (e.g.
    `prometheusremotewrite/amp`) and the `sigv4auth` extension that exporter names.

    Keys not used here are named in one WARNING; bad values raise `ConfigError` naming the
    Collector's key path.
    """
    read = read_collector_config(path, exporter, environ=environ)
    warn_unused(path, read)
    return read.config


def warn_unused(path: str | os.PathLike[str], read: CollectorConfig) -> None:
    """One WARNING naming every key of the file that is not used here, if any."""
    if read.unused:
        logger.warning("%s: not used by this exporter: %s", os.fspath(path), "; ".join(read.unused))
