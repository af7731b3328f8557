"""Configuration for `opentelemetry-instrument` and declarative configuration files.

The SDK's configurator instantiates an `opentelemetry_metrics_exporter` entry point with no
arguments; `opentelemetry-configuration` instantiates it with the exporter's block of the
`OTEL_CONFIG_FILE` as keywords. So `AutoConfiguredExporter` takes the config as keywords
and, given none, reads it from the environment:

    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_CONFIG      YAML config file (optional)
    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_ENDPOINT    remote-write URL (overrides the file's)
    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_HEADERS     name=value,... percent-encoded (`headers`)
    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_TIMEOUT     milliseconds (`timeout`)
    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_AUTH    true/false: SigV4 (overrides aws_auth.enabled)
    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_REGION  signing region (overrides aws_auth.region)

Each single-value variable stands for one key. Over a file, the variable wins; with
keywords, the keyword wins and the variable only fills a key the keywords leave out (as
the SDK's exporters treat their own arguments and variables), and the file variable is
not read. An invalid or misspelt variable is a `ConfigError` whose path is its name.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry.metrics import MeterProvider

import upstream_prw
from cortex_exporter.config import AUTH_KEY, Config
from cortex_exporter.env_values import parse_flag, parse_headers, parse_millis
from cortex_exporter.factory import build_session, close_with
from cortex_exporter.loading import read_config_file
from upstream_prw.config.keywords import given_keywords
from upstream_prw.config.readers import quote
from upstream_prw.errors import ConfigError

__all__ = [
    "ENV_AWS_AUTH",
    "ENV_AWS_REGION",
    "ENV_CONFIG",
    "ENV_ENDPOINT",
    "ENV_HEADERS",
    "ENV_PREFIX",
    "ENV_TIMEOUT",
    "AutoConfiguredExporter",
    "config_from_environ",
    "config_from_keywords",
]

logger = logging.getLogger(__name__)

ENV_PREFIX = "OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_"
ENV_CONFIG = ENV_PREFIX + "CONFIG"
ENV_ENDPOINT = ENV_PREFIX + "ENDPOINT"
ENV_HEADERS = ENV_PREFIX + "HEADERS"
ENV_TIMEOUT = ENV_PREFIX + "TIMEOUT"
ENV_AWS_AUTH = ENV_PREFIX + "AWS_AUTH"
ENV_AWS_REGION = ENV_PREFIX + "AWS_REGION"
_KNOWN = (ENV_CONFIG, ENV_ENDPOINT, ENV_HEADERS, ENV_TIMEOUT, ENV_AWS_AUTH, ENV_AWS_REGION)


def _check_names(environ: Mapping[str, str]) -> None:
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in _KNOWN:
            close = difflib.get_close_matches(name, _KNOWN, n=1, cutoff=0.8)
            hint = f'did you mean "{close[0]}"?' if close else "known: " + ", ".join(_KNOWN)
            raise ConfigError(name, f"unknown variable; {hint}")


def _variables(env: Mapping[str, str]) -> list[tuple[str, str, object]]:
    """(key path, variable, value) for each single-value variable set, values parsed."""
    found: list[tuple[str, str, object]] = []
    if endpoint := env.get(ENV_ENDPOINT, "").strip():
        found.append(("endpoint", ENV_ENDPOINT, endpoint))
    if env.get(ENV_HEADERS, "").strip():
        found.append(("headers", ENV_HEADERS, parse_headers(ENV_HEADERS, env[ENV_HEADERS])))
    if env.get(ENV_TIMEOUT, "").strip():
        found.append(("timeout", ENV_TIMEOUT, parse_millis(ENV_TIMEOUT, env[ENV_TIMEOUT])))
    if env.get(ENV_AWS_AUTH, "").strip():
        flag = parse_flag(ENV_AWS_AUTH, env[ENV_AWS_AUTH])
        found.append((f"{AUTH_KEY}.enabled", ENV_AWS_AUTH, flag))
    if region := env.get(ENV_AWS_REGION, "").strip():
        found.append((f"{AUTH_KEY}.region", ENV_AWS_REGION, region))
    return found


def _apply(data: dict[str, Any], env: Mapping[str, str], *, override: bool) -> dict[str, str]:
    """Set each variable's key in `data` (only where it is absent unless `override`);
    returns which variable set which key, so that an error names what the user wrote."""
    owners: dict[str, str] = {}
    for path, variable, value in _variables(env):
        block, _, key = path.rpartition(".")
        target = data
        if block:
            existing = data.get(block, {})
            if not isinstance(existing, Mapping):
                continue  # Config.from_mapping reports the block itself
            target = data[block] = dict(existing)
        if override or key not in target:
            target[key] = value
            owners[path] = variable
    return owners


def _reroot(error: ConfigError, owners: Mapping[str, str]) -> ConfigError | None:
    """The error under the variable that set its key (`headers.X` under the headers one)."""
    for path, variable in owners.items():
        if error.path == path:
            return ConfigError(variable, error.problem)
        if error.path.startswith(path + "."):
            return ConfigError(variable, f"{error.path[len(path) + 1 :]}: {error.problem}")
    return None


def config_from_environ(environ: Mapping[str, str] | None = None) -> Config:
    """The config the variables describe: the file's, with the single-value overrides."""
    env = os.environ if environ is None else environ
    _check_names(env)
    path = env.get(ENV_CONFIG, "").strip()
    owners: dict[str, str] = {}
    try:
        data = dict(read_config_file(path, environ=env, key=ENV_CONFIG)) if path else {}
        owners = _apply(data, env, override=True)
        if "endpoint" not in data:
            raise ConfigError(
                ENV_ENDPOINT,
                f"not set; set it to the remote-write URL, or set {ENV_CONFIG} to a YAML file",
            )
        return Config.from_mapping(data)
    except ConfigError as error:
        if error.path.startswith(ENV_PREFIX):
            raise
        if (rerooted := _reroot(error, owners)) is not None:
            raise rerooted from None
        where = f"{ENV_CONFIG}={path if path.isprintable() else quote(path)}"
        raise ConfigError(
            f"{where}: {error.path}" if error.path else where, error.problem
        ) from None


def config_from_keywords(
    keywords: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Config:
    """The config the keywords give (None: not given), a variable filling each key they
    leave out; errors name the keyword's key path, or the variable."""
    env = os.environ if environ is None else environ
    _check_names(env)
    if env.get(ENV_CONFIG, "").strip():
        logger.warning("%s is not read: the exporter was given its config as keywords", ENV_CONFIG)
    data = given_keywords(keywords)
    owners = _apply(data, env, override=False)
    try:
        return Config.from_mapping(data)
    except ConfigError as error:
        if (rerooted := _reroot(error, owners)) is not None:
            raise rerooted from None
        raise


class AutoConfiguredExporter(upstream_prw.PrometheusRemoteWriteExporter):
    """The upstream exporter, configured by keywords (a declarative config file's block,
    `aws_auth` included), or, given none, by `OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_*`.

    This is the `opentelemetry_metrics_exporter` entry point; `environ` is for tests.
    """

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        meter_provider: MeterProvider | None = None,
        **keywords: Any,
    ) -> None:
        if keywords:
            config = config_from_keywords(keywords, environ)
        else:
            config = config_from_environ(environ)
        session = build_session(config)
        super().__init__(config.remote_write, session, meter_provider=meter_provider)
        close_with(self, session)
