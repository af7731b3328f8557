"""`cortex-exporter check`: one probe through upstream's sender, and what each answer means."""

from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path

import pytest

from cortex_exporter.cli.main import main
from cortex_exporter.cli.received import ReceivedWrite, Reply
from cortex_exporter.cli.receiver import InspectionReceiver
from tests.cortex_exporter.support import ACCESS_KEY, AMP_ENDPOINT, SECRET_KEY, SESSION_TOKEN

AMP_403 = {
    "signature": (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.",
        "HTTP 403: the signature does not match",
    ),
    "permission": (
        "User: arn:aws:sts::123456789012:assumed-role/app-role/i-0abc is not authorized to "
        "perform: aps:RemoteWrite on resource: "
        "arn:aws:aps:us-east-1:123456789012:workspace/ws-0123abcd",
        "HTTP 403: the identity lacks permission aps:RemoteWrite",
    ),
    "expired": (
        "The security token included in the request is expired",
        "HTTP 403: the temporary credentials have expired",
    ),
    "invalid token": (
        "The security token included in the request is invalid.",
        "HTTP 403: AWS does not know this access key id",
    ),
    "unsigned": ("Missing Authentication Token", "HTTP 403: the request was not signed"),
    "clock": (
        "Signature expired: 20240517T093000Z is now earlier than 20240517T094500Z "
        "(20240517T095000Z - 5 min.)",
        "HTTP 403: the clock is off: the request time is too far from AWS's",
    ),
    "scope": (
        "Credential should be scoped to a valid region. ",
        "HTTP 403: the signature is for the wrong region or service",
    ),
    "other": ("Forbidden", 'HTTP 403: forbidden: {"message": "Forbidden"}'),
}


def _config(tmp_path: Path, endpoint: str, extra: str = "") -> str:
    path = tmp_path / "check.yaml"
    path.write_text(
        f"endpoint: {endpoint}\naws_auth:\n  enabled: true\n  region: us-east-1\n{extra}",
        encoding="utf-8",
    )
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["check", *args])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def _answering(status: int, body: str = "") -> InspectionReceiver:
    return InspectionReceiver(respond=lambda write: Reply(status, body))


def _line(output: str, label: str) -> str:
    for line in output.splitlines():
        if line.startswith(f"  {label} "):
            return line[14:]
    raise AssertionError(f"no {label!r} line in:\n{output}")


@pytest.mark.usefixtures("env_credentials")
def test_dry_run_shows_the_signed_request_and_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with InspectionReceiver() as rx:
        path = _config(tmp_path, rx.url, "headers:\n  X-Scope-OrgID: tenant-secret-ish\n")
        with caplog.at_level(logging.DEBUG):
            status, output = _run(capsys, "--config", path, "--dry-run", "--verbose")
        assert rx.received == []
    assert status == 0
    everything = output + caplog.text
    for secret in (SECRET_KEY, SESSION_TOKEN, ACCESS_KEY, "tenant-secret-ish"):
        assert secret not in everything
    assert "SigV4 canonical request" in caplog.text  # --verbose shows how it was signed
    assert _line(output, "credentials") == (
        "env (environment variables); key id AKID***; temporary (with a session token)"
    )
    assert _line(output, "signing") == "SigV4, region us-east-1 (from aws_auth.region), service aps"
    assert f"POST {rx.url}" in output
    assert "X-Amz-Security-Token: <redacted, " in output
    assert "Credential=AKID***/" in output and "Signature=<redacted>" in output
    assert "X-Scope-OrgID: <configured value, 17 characters>" in output
    assert "Content-Encoding: snappy" in output
    assert "X-Prometheus-Remote-Write-Version: 0.1.0" in output
    assert "not sent (--dry-run)" in output
    assert _line(output, "result") == "OK"


@pytest.mark.usefixtures("env_credentials")
def test_the_probe_is_one_signed_gauge_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with InspectionReceiver(
        secrets={ACCESS_KEY: SECRET_KEY}, region="us-east-1", service="aps"
    ) as rx:
        status, output = _run(capsys, "--config", _config(tmp_path, rx.url))
        write, probe_v2 = rx.received  # then the 2.0 question, signed as well
    assert status == 0, output
    assert write.signature_ok and probe_v2.signature_ok
    ((labels, value),) = [(dict(s.labels), s.samples[0][1]) for s in write.series]
    assert labels["__name__"] == "cortex_exporter_check"
    assert labels["job"] == "cortex-exporter-check"
    assert value == 1
    assert _line(output, "answer") == "HTTP 204 No Content"
    assert _line(output, "result") == "OK"
    assert SECRET_KEY not in output and SESSION_TOKEN not in output


@pytest.mark.usefixtures("env_credentials")
@pytest.mark.parametrize("cause", sorted(AMP_403))
def test_each_403_is_told_apart(
    cause: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message, meaning = AMP_403[cause]
    body = json.dumps({"Message" if cause == "permission" else "message": message})
    with _answering(403, body) as rx:
        status, output = _run(capsys, "--config", _config(tmp_path, rx.url))
    assert status == 1
    assert _line(output, "answer") == "HTTP 403 Forbidden"
    assert _line(output, "meaning") == meaning
    assert _line(output, "result") == "FAILED"


STATUSES = [
    (404, '{"message":"Workspace not found"}', "workspace id", 1),
    (413, "request entity too large", "Set max_batch_size_bytes (now 3000000)", 1),
    (429, '{"message":"Rate exceeded"}', "retries 429 with backoff", 1),
    (400, "out of order sample", "does not retry this", 1),
    (401, "", "basic_auth or bearer_token", 1),
    (500, "internal error", "usually transient", 1),
    (302, "", "does not follow them", 1),
    (204, "", "query cortex_exporter_check", 0),
    (200, "ok", "query cortex_exporter_check", 0),
]


@pytest.mark.usefixtures("env_credentials")
@pytest.mark.parametrize(("code", "body", "advice", "exit_status"), STATUSES)
def test_each_status_is_explained(
    code: int,
    body: str,
    advice: str,
    exit_status: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with _answering(code, body) as rx:
        status, output = _run(capsys, "--config", _config(tmp_path, rx.url))
    assert status == exit_status
    assert _line(output, "meaning").startswith(f"HTTP {code}")
    assert advice in " ".join(output.split())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.usefixtures("env_credentials")
def test_connection_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_free_port()}/api/v1/write"
    status, output = _run(capsys, "--config", _config(tmp_path, url))
    assert status == 1
    assert _line(output, "meaning").startswith("ConnectionError: ")
    assert "Could not connect" in output


@pytest.mark.usefixtures("env_credentials")
def test_tls_to_a_plain_http_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with InspectionReceiver() as rx:
        url = rx.url.replace("http://", "https://")
        status, output = _run(capsys, "--config", _config(tmp_path, url))
    assert status == 1
    assert _line(output, "meaning").startswith("SSLError: ")
    assert "TLS handshake failed" in output


@pytest.mark.usefixtures("env_credentials")
def test_no_answer_within_the_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def slow(write: ReceivedWrite) -> Reply:
        time.sleep(1.0)
        return Reply()

    with InspectionReceiver(respond=slow) as rx:
        status, output = _run(capsys, "--config", _config(tmp_path, rx.url, "timeout: 200ms\n"))
    assert status == 1
    assert _line(output, "meaning").startswith("ReadTimeout: ")
    assert "no answer within timeout (0.2s)" in output


def test_no_credentials_stops_before_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with InspectionReceiver() as rx:
        status, output = _run(capsys, "--config", _config(tmp_path, rx.url))
        assert rx.received == []
    assert status == 1
    assert _line(output, "credentials").startswith("FAILED: no AWS credentials found")
    assert _line(output, "result") == "FAILED"


def test_no_region_stops_before_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("endpoint: http://127.0.0.1:9/w\naws_auth: {enabled: true}\n", "utf-8")
    status, output = _run(capsys, "--config", str(path))
    assert status == 1
    assert _line(output, "signing").startswith("FAILED: no AWS region to sign for")


@pytest.mark.usefixtures("env_credentials")
def test_endpoint_option_signs_amp_by_default_with_its_region(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, output = _run(capsys, "--endpoint", AMP_ENDPOINT, "--dry-run")
    assert status == 0
    assert _line(output, "config") == "--endpoint: valid"
    assert _line(output, "signing") == "SigV4, region eu-west-2 (from the endpoint), service aps"
    assert "Host: aps-workspaces.eu-west-2.amazonaws.com" in output


def test_unsigned_amp_gets_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    status, output = _run(capsys, "--endpoint", AMP_ENDPOINT, "--no-aws-auth", "--dry-run")
    assert status == 0
    # Advice names the option that was used, not a config key.
    assert _line(output, "signing") == "none (no --aws-auth)"
    assert "AMP only accepts signed requests; pass --aws-auth" in output
    assert "Authorization" not in output


def test_an_invalid_config_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("endpoint: http://h/w\naws_auth: {regoin: x}\n", "utf-8")
    status, output = _run(capsys, "--config", str(path))
    assert status == 2
    assert output.strip() == (
        f"cortex-exporter: invalid config {path}: "
        'aws_auth.regoin: unknown key; did you mean "region"?'
    )
