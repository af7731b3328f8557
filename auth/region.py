"""Which region and service a signature is scoped to.

An empty or mistyped region signs fine locally and fails remotely with "credential should be
scoped to a valid region", so the region is checked here, before anything is sent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import botocore.exceptions  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]

from auth.errors import RegionError

__all__ = [
    "SigningScope",
    "check_region",
    "infer_scope",
    "is_region_code",
    "is_service_name",
    "resolve_region",
]

AMP_SERVICE = "aps"

# aps-workspaces[-fips].<region>.<partition suffix>, optionally behind a VPC endpoint name
# (vpce-....aps-workspaces.<region>.vpce.amazonaws.com).
_AMP_HOST = re.compile(
    r"(?:[a-z0-9-]+\.)?aps-workspaces(?:-fips)?\."
    r"(?P<region>[a-z]{2}(?:-[a-z0-9]+)+-[0-9]+)\."
    r"(?:vpce\.)?(?:amazonaws\.com|amazonaws\.com\.cn|api\.aws|api\.amazonwebservices\.com\.cn)"
)
_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def is_region_code(text: str) -> bool:
    """Whether `text` has the shape of a region code (`us-east-1`): lower case, dashes."""
    return _REGION.fullmatch(text) is not None


def is_service_name(text: str) -> bool:
    """Whether `text` can name the service of a credential scope: no blanks anywhere."""
    return bool(text) and text.split() == [text]


@dataclass(frozen=True, slots=True)
class SigningScope:
    """The region and service of a SigV4 credential scope."""

    region: str
    service: str


def infer_scope(endpoint: str) -> SigningScope | None:
    """The scope an AMP endpoint (URL or host) implies, or None for any other host."""
    text = endpoint.strip()
    host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    match = _AMP_HOST.fullmatch(host.rstrip("."))
    return SigningScope(match["region"], AMP_SERVICE) if match else None


def check_region(region: str) -> str:
    """Return `region` if it can scope a signature, else raise RegionError."""
    if not is_region_code(region):
        raise RegionError(
            f"aws_auth.region: {region!r} is not an AWS region name; "
            "use the lower-case code of the workspace's region, e.g. us-east-1"
        )
    return region


def resolve_region(
    explicit: str | None = None, *, endpoint: str | None = None, profile: str | None = None
) -> str:
    """Explicit region, else the endpoint's, else AWS_REGION, AWS_DEFAULT_REGION, the profile's.

    Blank values count as unset, so an empty setting falls through instead of signing for "".
    """
    if explicit and explicit.strip():
        return check_region(explicit.strip())
    inferred = infer_scope(endpoint) if endpoint else None
    if inferred is not None:
        return inferred.region
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(variable, "").strip()
        if value:
            return check_region(value)
    from_profile = _profile_region(profile)
    if from_profile:
        return check_region(from_profile)
    raise RegionError(
        "no AWS region to sign for: set aws_auth.region (e.g. us-east-1), use an AMP endpoint "
        "that names its region (aps-workspaces.<region>.amazonaws.com), or set AWS_REGION"
    )


def _profile_region(profile: str | None) -> str | None:
    """The `region` of the profile in the shared config file, if any."""
    try:
        config = botocore.session.Session(profile=profile).get_scoped_config()
    except botocore.exceptions.ProfileNotFound:
        name = profile or os.environ.get("AWS_PROFILE")
        raise RegionError(
            f"aws_auth.profile: profile {name!r} is not in the AWS config files; "
            "add it there or set aws_auth.region"
        ) from None
    region = config.get("region")
    return region.strip() if isinstance(region, str) else None
