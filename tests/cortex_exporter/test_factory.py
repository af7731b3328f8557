"""new_exporter: the upstream exporter itself, signing through its session when auth is on."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from botocore.credentials import Credentials

import upstream_prw
from auth import RegionError, SigV4Auth, verify
from cortex_exporter import Config, new_exporter
from cortex_exporter.cli.receiver import InspectionReceiver
from cortex_exporter.factory import DeferredCredentials, build_session, sigv4_auth
from tests.cortex_exporter.support import (
    ACCESS_KEY,
    AMP_ENDPOINT,
    SECRET_KEY,
    SESSION_TOKEN,
    one_counter,
)
from upstream_prw.config.translation import V2_MESSAGE


def _signed_config(url: str) -> dict[str, object]:
    return {"endpoint": url, "aws_auth": {"enabled": True, "region": "us-east-1"}}


@pytest.mark.usefixtures("env_credentials")
def test_requests_verify_as_sigv4_with_environment_credentials(
    receiver: InspectionReceiver,
) -> None:
    exporter = new_exporter(_signed_config(receiver.url))
    assert type(exporter) is upstream_prw.PrometheusRemoteWriteExporter
    assert exporter.export(one_counter()).name == "SUCCESS"
    assert exporter.force_flush()
    exporter.shutdown()

    written = receiver.received
    assert written and all(w.signature_ok for w in written)
    first = written[0]
    assert first.header("X-Amz-Security-Token") == SESSION_TOKEN
    verdict = verify(
        method=first.method,
        target=first.path,
        headers=first.headers,
        body=first.body,
        secrets={ACCESS_KEY: SECRET_KEY},
        now=datetime.now(timezone.utc),
        region="us-east-1",
        service="aps",
    )
    assert (verdict.ok, verdict.reason, verdict.access_key) == (True, "ok", ACCESS_KEY)
    names = {s.name for w in written for s in w.series}
    assert "wrapper_test_requests_total" in names


@pytest.mark.usefixtures("env_credentials")
def test_no_authorization_when_auth_is_off(receiver: InspectionReceiver) -> None:
    exporter = new_exporter({"endpoint": receiver.url})
    exporter.export(one_counter())
    exporter.shutdown()
    written = receiver.received
    assert written
    for write in written:
        assert write.signature == "unsigned"
        assert write.header("Authorization") is None
        assert write.header("X-Amz-Date") is None


def test_a_yaml_path_is_a_config(tmp_path: Path, receiver: InspectionReceiver) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"endpoint: {receiver.url}\n", encoding="utf-8")
    exporter = new_exporter(str(path))
    assert exporter.settings.endpoint == receiver.url
    exporter.shutdown()


def test_injected_credentials_replace_the_chain(receiver: InspectionReceiver) -> None:
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, method="injected")
    exporter = new_exporter(_signed_config(receiver.url), credentials=credentials)
    exporter.export(one_counter())
    exporter.shutdown()
    assert receiver.received and all(w.signature_ok for w in receiver.received)


def test_remote_write_2_requests_are_signed_as_1_0_ones_are(receiver: InspectionReceiver) -> None:
    """SigV4 signs whatever body and Content-Type go out: 2.0 requests verify, and the
    receiver (which takes 2.0) gets them as 2.0, with no fallback."""
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, method="injected")
    config = {**_signed_config(receiver.url), "protobuf_message": V2_MESSAGE}
    exporter = new_exporter(config, credentials=credentials)
    assert exporter.export(one_counter()).name == "SUCCESS"
    exporter.shutdown()
    written = receiver.received
    assert written and all(w.signature_ok for w in written)
    assert {w.header("Content-Type") for w in written} == {
        f"application/x-protobuf;proto={V2_MESSAGE}"
    }
    assert {w.header("X-Prometheus-Remote-Write-Version") for w in written} == {"2.0.0"}
    assert "wrapper_test_requests_total" in {s.name for w in written for s in w.series}


def test_region_is_inferred_from_an_amp_endpoint() -> None:
    config = Config.from_mapping({"endpoint": AMP_ENDPOINT, "aws_auth": {"enabled": True}})
    session = build_session(config)
    assert session is not None
    assert isinstance(session.auth, SigV4Auth)
    assert (session.auth.region, session.auth.service) == ("eu-west-2", "aps")
    session.close()


def test_an_explicit_region_wins_over_the_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    config = Config.from_mapping(
        {"endpoint": AMP_ENDPOINT, "aws_auth": {"enabled": True, "region": "us-west-2"}}
    )
    assert sigv4_auth(config.aws_auth, config.endpoint).region == "us-west-2"
    other = Config.from_mapping({"endpoint": "http://h/w", "aws_auth": {"enabled": True}})
    assert sigv4_auth(other.aws_auth, other.endpoint).region == "ap-south-1"


def test_no_region_anywhere_fails_at_construction() -> None:
    with pytest.raises(RegionError, match=r"set aws_auth\.region"):
        new_exporter({"endpoint": "http://h/w", "aws_auth": {"enabled": True}})


def test_an_amp_endpoint_without_auth_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="cortex_exporter.factory"):
        assert build_session(Config.from_mapping({"endpoint": AMP_ENDPOINT})) is None
    assert "aws_auth.enabled: true in a config file" in caplog.text
    assert "OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_AUTH=true" in caplog.text


def test_construction_does_not_look_for_credentials(
    receiver: InspectionReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    """No credentials anywhere: building is instant; the first export fails, logged, unsent."""
    started = time.monotonic()
    exporter = new_exporter(
        {
            **_signed_config(receiver.url),
            "remote_write_queue": {"enabled": False},
            "retry_on_failure": {"enabled": False},
        }
    )
    assert time.monotonic() - started < 1.0
    with caplog.at_level(logging.WARNING):
        assert exporter.export(one_counter()).name == "FAILURE"
    exporter.shutdown()
    assert "no AWS credentials found" in caplog.text
    assert receiver.received == []


def test_missing_credentials_are_a_warning_within_two_seconds(
    receiver: InspectionReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    """With the queue on, the first export fails on a worker: visible at once all the same."""
    exporter = new_exporter(_signed_config(receiver.url))
    with caplog.at_level(logging.WARNING, logger="upstream_prw"):
        started = time.monotonic()
        assert exporter.export(one_counter()).name == "SUCCESS"  # queued
        while not caplog.records and time.monotonic() - started < 5.0:
            time.sleep(0.01)
        took = time.monotonic() - started
        exporter.shutdown(timeout_millis=500)
    assert took < 2.0
    first = caplog.records[0].getMessage()
    assert first.startswith("remote write to 127.0.0.1:")
    assert "failed: NoCredentialsError: no AWS credentials found" in first
    assert receiver.received == []


def test_a_profile_is_looked_up_on_first_use_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: InspectionReceiver
) -> None:
    credentials_file = tmp_path / "credentials"
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
    config = {
        **_signed_config(receiver.url),
        "aws_auth": {"enabled": True, "region": "us-east-1", "profile": "amp"},
    }
    session = build_session(Config.from_mapping(config))
    assert session is not None
    assert isinstance(session.auth, SigV4Auth)
    deferred = session.auth._credentials
    assert isinstance(deferred, DeferredCredentials)
    assert deferred.method == "profile amp (not resolved yet)"
    # The profile appears only now, after construction: the lookup happens on first use.
    credentials_file.write_text(
        f"[amp]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n",
        encoding="utf-8",
    )
    exporter = upstream_prw.new_exporter(Config.from_mapping(config).remote_write, session)
    exporter.export(one_counter())
    exporter.shutdown()
    session.close()
    assert deferred.method == "shared-credentials-file"
    assert receiver.received and all(w.signature_ok for w in receiver.received)


def test_deferred_credentials_keep_only_a_success() -> None:
    calls: list[int] = []
    good = Credentials(ACCESS_KEY, SECRET_KEY, method="later")

    def resolve() -> Credentials:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("not yet")
        return good

    deferred = DeferredCredentials(resolve, "test")
    with pytest.raises(RuntimeError):
        deferred.get_frozen_credentials()
    assert deferred.get_frozen_credentials().access_key == ACCESS_KEY
    deferred.get_frozen_credentials()
    assert (len(calls), deferred.method) == (2, "later")
