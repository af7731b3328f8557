"""The exceptions a user of this package can meet, all raised by its two building blocks.

    ValueError
    └── upstream_prw.ConfigError   bad config: `path` is the key path (`aws_auth.region`),
                                   or the environment variable, the message starts with
    auth.AuthError                 nothing was signed, so nothing was sent
    ├── auth.CredentialsError      a credential provider failed (STS refused, bad profile...)
    │   └── auth.NoCredentialsError    the default chain found nothing; lists what it tried
    ├── auth.RegionError           no usable region to sign for (also a ValueError)
    └── auth.SigningError          the request cannot be signed as it is

`new_exporter` raises ConfigError and RegionError (both cheap, config-only); credential errors
surface on the first export, where the exporter logs them and retries, because the credential
chain is resolved lazily so that a slow provider never blocks start-up.
"""

from __future__ import annotations

from auth.errors import AuthError, CredentialsError, NoCredentialsError, RegionError, SigningError
from upstream_prw.errors import ConfigError

__all__ = [
    "AuthError",
    "ConfigError",
    "CredentialsError",
    "NoCredentialsError",
    "RegionError",
    "SigningError",
]
