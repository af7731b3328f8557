"""Exceptions raised by the auth package.

    AuthError                      nothing was signed, so nothing may be sent
    ├── CredentialsError           a credential provider failed (STS refused, bad token file...)
    │   └── NoCredentialsError         the default chain found nothing; lists what it tried
    ├── RegionError                no usable region to scope the signature to
    └── SigningError               the request itself cannot be signed (e.g. a streamed body)

Every message says what to set or fix. None carries a secret key or session token.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AuthError",
    "CredentialsError",
    "NoCredentialsError",
    "RegionError",
    "SigningError",
]


class AuthError(Exception):
    """Base class of every error this package raises; the request was not sent."""


class CredentialsError(AuthError):
    """A provider was found but could not deliver credentials. `source` names it."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(self._message())

    def _message(self) -> str:
        return (
            f"could not get AWS credentials from {self.source}: {self.problem}; "
            "fix that provider's configuration or permissions"
        )


class NoCredentialsError(CredentialsError):
    """The default chain ran to the end without finding credentials. `tried` lists it."""

    def __init__(self, tried: Sequence[str]) -> None:
        self.tried = tuple(tried)
        super().__init__("the default chain", "no provider had credentials")

    def _message(self) -> str:
        return (
            f"no AWS credentials found (providers tried: {', '.join(self.tried) or 'none'}); "
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with "
            "aws_auth.profile, or run with an IAM role (IRSA web identity, ECS task role, "
            "EKS Pod Identity, EC2 instance profile)"
        )


class RegionError(AuthError, ValueError):
    """No region, or one that cannot scope a signature."""


class SigningError(AuthError):
    """The prepared request cannot be signed as it is."""
