"""The package's public surface is exactly what `__all__` names (every module's: test_layout)."""

from __future__ import annotations

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


def test_every_error_is_an_auth_error() -> None:
    for name in ("CredentialsError", "NoCredentialsError", "RegionError", "SigningError"):
        assert issubclass(getattr(auth, name), auth.AuthError)
