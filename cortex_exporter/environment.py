"""Configuration from environment variables, for `opentelemetry-instrument`.

The SDK's configurator instantiates an `opentelemetry_metrics_exporter` entry point with no
arguments, so `AutoConfiguredExporter` reads everything from the environment:

    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_CONFIG      YAML config file (optional)
    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_ENDPOINT    remote-write URL (overrides the file's)
    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_AUTH    true/false: SigV4 (overrides aws_auth.enabled)
    OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_REGION  signing region (overrides aws_auth.region)

An invalid or misspelt variable is a `ConfigError` whose path is the variable's name.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping

import upstream_prw
from cortex_exporter.config import AUTH_KEY, Config
from cortex_exporter.factory import build_session, close_with
from cortex_exporter.loading import read_config_file
from upstream_prw.config.readers import quote
from upstream_prw.errors import ConfigError

__all__ = [
    "ENV_AWS_AUTH",
    "ENV_AWS_REGION",
    "ENV_CONFIG",
    "ENV_ENDPOINT",
    "ENV_PREFIX",
    "AutoConfiguredExporter",
    "config_from_environ",
]

ENV_PREFIX = "OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_"
ENV_CONFIG = ENV_PREFIX + "CONFIG"
ENV_ENDPOINT = ENV_PREFIX + "ENDPOINT"
ENV_AWS_AUTH = ENV_PREFIX + "AWS_AUTH"
ENV_AWS_REGION = ENV_PREFIX + "AWS_REGION"
_KNOWN = (ENV_CONFIG, ENV_ENDPOINT, ENV_AWS_AUTH, ENV_AWS_REGION)
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _check_names(environ: Mapping[str, str]) -> None:
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in _KNOWN:
            close = difflib.get_close_matches(name, _KNOWN, n=1, cutoff=0.8)
            hint = f'did you mean "{close[0]}"?' if close else "known: " + ", ".join(_KNOWN)
            raise ConfigError(name, f"unknown variable; {hint}")


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise ConfigError(name, f"expected true or false, got {quote(value)}")


def config_from_environ(environ: Mapping[str, str] | None = None) -> Config:
    """The config the variables describe: the file's, with the single-value overrides."""
    env = os.environ if environ is None else environ
    _check_names(env)
    path = env.get(ENV_CONFIG, "").strip()
    # Which variable set which key, so that an error names what the user actually wrote.
    owners: dict[str, str] = {}
    try:
        data = dict(read_config_file(path, environ=env, key=ENV_CONFIG)) if path else {}
        endpoint = env.get(ENV_ENDPOINT, "").strip()
        if endpoint:
            data["endpoint"] = endpoint
            owners["endpoint"] = ENV_ENDPOINT
        elif "endpoint" not in data:
            raise ConfigError(
                ENV_ENDPOINT,
                f"not set; set it to the remote-write URL, or set {ENV_CONFIG} to a YAML file",
            )
        overrides: dict[str, object] = {}
        if env.get(ENV_AWS_AUTH, "").strip():
            overrides["enabled"] = _flag(ENV_AWS_AUTH, env[ENV_AWS_AUTH])
            owners[f"{AUTH_KEY}.enabled"] = ENV_AWS_AUTH
        if env.get(ENV_AWS_REGION, "").strip():
            overrides["region"] = env[ENV_AWS_REGION].strip()
            owners[f"{AUTH_KEY}.region"] = ENV_AWS_REGION
        existing = data.get(AUTH_KEY, {})
        if overrides and isinstance(existing, Mapping):
            data[AUTH_KEY] = {**existing, **overrides}
        return Config.from_mapping(data)
    except ConfigError as error:
        if error.path.startswith(ENV_PREFIX):
            raise
        if error.path in owners:
            raise ConfigError(owners[error.path], error.problem) from None
        where = f"{ENV_CONFIG}={path if path.isprintable() else quote(path)}"
        raise ConfigError(
            f"{where}: {error.path}" if error.path else where, error.problem
        ) from None


class AutoConfiguredExporter(upstream_prw.PrometheusRemoteWriteExporter):
    """The upstream exporter, configured from `OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_*`.

    This is the `opentelemetry_metrics_exporter` entry point; `environ` is for tests.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        config = config_from_environ(environ)
        session = build_session(config)
        super().__init__(config.remote_write, session)
        close_with(self, session)
