"""The package's public surface is exactly what `__all__` names, and every module declares one."""

from __future__ import annotations

import importlib
import pkgutil

import auth

PUBLIC = {
    "AuthError",
    "CredentialSource",
    "CredentialsError",
    "NoCredentialsError",
    "RegionError",
    "SigV4Auth",
    "SigningError",
    "SigningScope",
    "Verification",
    "credential_source",
    "infer_scope",
    "resolve_credentials",
    "resolve_region",
    "verify",
}


def test_exported_names() -> None:
    assert set(auth.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(auth, name) is not None


def test_every_module_declares_all_and_defines_it() -> None:
    for info in pkgutil.iter_modules(auth.__path__):
        module = importlib.import_module(f"auth.{info.name}")
        assert isinstance(module.__all__, list), info.name
        for name in module.__all__:
            assert hasattr(module, name), f"auth.{info.name}.{name}"


def test_every_error_is_an_auth_error() -> None:
    for name in ("CredentialsError", "NoCredentialsError", "RegionError", "SigningError"):
        assert issubclass(getattr(auth, name), auth.AuthError)
