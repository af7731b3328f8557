"""aws_auth.assume_role: the role is assumed (against a local STS) on first use, then signs."""

from __future__ import annotations

from datetime import datetime, timezone

import botocore.session
import pytest

import upstream_prw
from auth import SigV4Auth, verify
from cortex_exporter import Config
from cortex_exporter.cli.receiver import InspectionReceiver
from cortex_exporter.factory import DeferredCredentials, build_session
from tests.cortex_exporter.support import one_counter

ROLE = "arn:aws:iam::123456789012:role/amp-writer"


@pytest.mark.usefixtures("env_credentials")
def test_requests_are_signed_by_the_assumed_role(local_sts: str) -> None:
    with InspectionReceiver() as rx:
        config = Config.from_mapping(
            {
                "endpoint": rx.url,
                "aws_auth": {
                    "enabled": True,
                    "region": "us-west-2",
                    "assume_role": {"arn": ROLE, "session_name": "wrapper-test"},
                },
            }
        )
        session = build_session(config)
        assert session is not None and isinstance(session.auth, SigV4Auth)
        deferred = session.auth._credentials
        assert isinstance(deferred, DeferredCredentials)
        assert deferred.method == f"role {ROLE} (not resolved yet)"
        exporter = upstream_prw.new_exporter(config.remote_write, session)
        exporter.export(one_counter())
        exporter.shutdown()
        session.close()
        written = rx.received
    assert deferred.method == "assume-role (base credentials: env)"
    frozen = deferred.get_frozen_credentials()
    assert written
    for write in written:
        assert write.header("X-Amz-Security-Token") == frozen.token
        verdict = verify(
            method=write.method,
            target=write.path,
            headers=write.headers,
            body=write.body,
            secrets={frozen.access_key: frozen.secret_key},
            now=datetime.now(timezone.utc),
            region="us-west-2",
            service="aps",
        )
        assert verdict.ok, verdict.reason
    client = botocore.session.Session().create_client(
        "sts",
        region_name="us-west-2",
        endpoint_url=local_sts,
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
    )
    arn = client.get_caller_identity()["Arn"]
    assert arn == "arn:aws:sts::123456789012:assumed-role/amp-writer/wrapper-test"
