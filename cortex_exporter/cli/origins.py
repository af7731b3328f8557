"""Where each setting came from, so that advice speaks the user's own language.

Someone who typed `--region` should hear about `--region`, not `aws_auth.region`; someone
with a Collector file about `extensions.sigv4auth.region`; someone configuring through the
environment about `OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_REGION`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cortex_exporter.environment import (
    ENV_AWS_AUTH,
    ENV_AWS_REGION,
    ENV_CONFIG,
    ENV_ENDPOINT,
    ENV_HEADERS,
    ENV_TIMEOUT,
)

__all__ = ["Origins"]

_FLAGS = {"endpoint": "--endpoint", "aws_auth.enabled": "--aws-auth", "aws_auth.region": "--region"}
_VARIABLES = {
    "endpoint": ENV_ENDPOINT,
    "headers": ENV_HEADERS,
    "timeout": ENV_TIMEOUT,
    "aws_auth.enabled": ENV_AWS_AUTH,
    "aws_auth.region": ENV_AWS_REGION,
}


@dataclass(frozen=True)
class Origins:
    """Our key paths mapped to what the user wrote; any other key is spelt `prefix` + key,
    followed by `note` (where such a key would go)."""

    owners: Mapping[str, str] = field(default_factory=dict)
    prefix: str = ""
    note: str = ""
    phrases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def yaml(cls) -> Origins:
        """A config file: our own keys."""
        return cls()

    @classmethod
    def flags(cls) -> Origins:
        return cls(_FLAGS, note="(in a --config file; no option sets it)")

    @classmethod
    def environment(cls, environ: Mapping[str, str]) -> Origins:
        """`OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_*`: the variables set, else the file's keys
        (without a file, the variables are the only way)."""
        if not environ.get(ENV_CONFIG, "").strip():
            return cls(_VARIABLES, note="(no variable sets it; use a config file)")
        owners = {k: v for k, v in _VARIABLES.items() if environ.get(v, "").strip()}
        return cls(owners, note=f"(in the file {ENV_CONFIG} names)")

    @classmethod
    def collector(cls, origins: Mapping[str, str], exporter_path: str) -> Origins:
        """A Collector file: `origins` from `read_collector_config`."""
        authenticator = origins.get("aws_auth.enabled", f"{exporter_path}.auth.authenticator")
        phrases = {
            "aws_auth.enabled=true": f"set {authenticator}: sigv4auth, with a sigv4auth "
            "extension listed under service.extensions",
            "aws_auth.enabled=false": f"remove {authenticator}",
        }
        return cls(origins, prefix=f"{exporter_path}.", phrases=phrases)

    def _owned(self, path: str) -> str | None:
        best = ""
        for ours in self.owners:
            if (path == ours or path.startswith(f"{ours}.")) and len(ours) > len(best):
                best = ours
        return self.owners[best] + path[len(best) :] if best else None

    def _name(self, path: str) -> tuple[str, str]:
        """The user's name for `path`, and the note that goes with it."""
        owned = self._owned(path)
        if owned is not None:
            return owned, ""
        if path.startswith("aws_auth.") and self.phrases:  # a Collector file
            return f"extensions.sigv4auth.{path.removeprefix('aws_auth.')}", ""
        return f"{self.prefix}{path}", self.note

    def key(self, path: str) -> str:
        """How the user names our key `path`."""
        name, note = self._name(path)
        return f"{name} {note}" if note else name

    def said(self, path: str, value: str) -> str:
        """The setting as the user would write it: `--no-aws-auth`, `VAR=x`, `key: x`."""
        name, note = self._name(path)
        if name.startswith("--"):
            if value in ("true", "false"):
                return name if value == "true" else f"--no-{name[2:]}"
            return f"{name} {value}"
        if name.isupper():
            return f"{name}={value}"
        return f"{name}: {value}" + (f" {note}" if note else "")

    def off(self, path: str) -> str:
        """That the boolean `path` is not on, in the user's terms."""
        name = self.key(path)
        if name.startswith("--") or self.phrases:
            return f"no {name}"
        return f"{name} is false"

    def assign(self, path: str, value: str) -> str:
        """An instruction to set `path` to `value`, in the user's terms."""
        phrase = self.phrases.get(f"{path}={value}")
        if phrase:
            return phrase
        said = self.said(path, value)
        return f"pass {said}" if said.startswith("--") else f"set {said}"
