"""AWS SigV4 signing for remote write to Amazon Managed Service for Prometheus (AMP).

`SigV4Auth` is a requests auth hook; `resolve_credentials` and `resolve_region` turn settings
into what it needs; `verify` checks a signed request independently of the signer.
"""

from __future__ import annotations

from auth.credentials import CredentialSource, credential_source, resolve_credentials
from auth.errors import AuthError, CredentialsError, NoCredentialsError, RegionError, SigningError
from auth.region import SigningScope, infer_scope, resolve_region
from auth.sigv4 import SigV4Auth
from auth.verify import Verification, verify

__all__ = [
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
]
