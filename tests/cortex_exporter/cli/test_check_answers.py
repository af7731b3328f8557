"""`check` explains each backend's real refusal, and names settings as the user set them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cortex_exporter.cli.main import main
from cortex_exporter.cli.received import Reply
from cortex_exporter.cli.receiver import InspectionReceiver
from cortex_exporter.environment import ENV_AWS_AUTH, ENV_AWS_REGION, ENV_ENDPOINT

COLLECTOR = Path(__file__).parents[1] / "collector"

# Bodies as the backends send them (VictoriaMetrics 1.79 and Prometheus 2.42 from Debian,
# recorded on loopback; Cortex's and Mimir's from their source, which AMP runs).
VM_WRONG_PATH = (
    'remoteAddr: "127.0.0.1:42180"; requestURI: /api/v1/push; '
    'unsupported path requested: "/api/v1/push"\n'
)
PROMETHEUS_NO_NATIVE = "native histograms are disabled\n"
CORTEX_RATE = "ingestion rate limit (20000) exceeded while adding 3000 samples and 0 metadata"
CORTEX_SERIES = (
    "per-user series limit of 10000000 exceeded, please contact administrator to raise it "
    "(local limit: 0 global limit: 10000000 actual local limit: 3333334)"
)
MIMIR_SERIES = (
    "failed pushing to ingester: user=anonymous: per-user series limit of 150000 exceeded "
    "(err-mimir-max-series-per-user). To adjust the related per-tenant limit, configure "
    "-ingester.max-global-series-per-user, or contact your service administrator."
)

ANSWERS = {
    "victoria wrong path": (
        400,
        VM_WRONG_PATH,
        "HTTP 400: wrong path: VictoriaMetrics does not serve /api/v1/push",
        "Pass --endpoint http://127.0.0.1:{port}/api/v1/write",
    ),
    "prometheus native histograms 400": (
        400,
        PROMETHEUS_NO_NATIVE,
        "HTTP 400: native histograms are disabled on this Prometheus",
        "--enable-feature=native-histograms",
    ),
    "prometheus native histograms 500": (
        500,
        PROMETHEUS_NO_NATIVE,
        "HTTP 500: native histograms are disabled on this Prometheus",
        "It answers 500, so the exporter retries",
    ),
    "amp rate limit": (
        429,
        json.dumps({"message": CORTEX_RATE}),
        "HTTP 429: the ingestion rate limit is exceeded",
        "'Ingestion rate' quota in Service Quotas",
    ),
    "amp series limit": (
        429,
        json.dumps({"message": CORTEX_SERIES}),
        "HTTP 429: the active series limit is exceeded",
        "'Active series per workspace'",
    ),
    "mimir series limit": (
        400,
        MIMIR_SERIES,
        "HTTP 400: the active series limit is exceeded",
        "Drop high-cardinality attributes",
    ),
    "amp too many labels": (
        400,
        "series has too many labels (actual: 71, limit: 70) "
        "series: 'cortex_exporter_check{a=\"b\"}'",
        "HTTP 400: a series has more labels than allowed",
        "AMP allows 70 labels per series",
    ),
    "amp burst": (
        429,
        "ingestion burst size limit (1000000) exceeded while adding 2000000 samples",
        "HTTP 429: the ingestion rate limit is exceeded",
        "'Ingestion rate' quota",
    ),
    "prometheus out of order": (
        400,
        "out of order sample\n",
        "HTTP 400: out-of-order or duplicate samples",
        "own service.instance.id",
    ),
    "amp forbidden": (
        403,
        json.dumps(
            {
                "Message": "User: arn:aws:sts::1:assumed-role/r/s is not authorized to "
                "perform: aps:RemoteWrite on resource: arn:aws:aps:us-east-1:1:workspace/ws"
            }
        ),
        "HTTP 403: the identity lacks permission aps:RemoteWrite",
        "AmazonPrometheusRemoteWriteAccess",
    ),
    "tenant forbidden": (
        403,
        "forbidden: tenant not allowed",
        "HTTP 403: forbidden: tenant not allowed",
        "its message above says why",
    ),
}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["check", *args])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def _line(output: str, label: str) -> str:
    for line in output.splitlines():
        if line.startswith(f"  {label} "):
            return line[14:]
    raise AssertionError(f"no {label!r} line in:\n{output}")


def _said(output: str, label: str) -> str:
    """A labelled line with its wrapped continuation lines, joined."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(f"  {label} "):
            parts = [line[14:]]
            for more in lines[index + 1 :]:
                if not more.startswith(" " * 14):
                    break
                parts.append(more.strip())
            return " ".join(parts)
    raise AssertionError(f"no {label!r} line in:\n{output}")


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_each_backend_answer_is_explained(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, body, meaning, advice = ANSWERS[case]
    with InspectionReceiver(respond=lambda write: Reply(code, body)) as rx:
        port = rx.url.split(":")[2].split("/")[0]
        url = rx.url.replace("/api/v1/write", "/api/v1/push")
        status, output = _run(capsys, "--endpoint", url)
    assert status == 1
    assert _line(output, "meaning") == meaning
    assert advice.format(port=port) in _said(output, "what to do")
    assert "forbidden: forbidden" not in output
    assert _line(output, "result") == "FAILED"


def test_victoria_wrong_path_from_a_config_file_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with InspectionReceiver(respond=lambda write: Reply(400, VM_WRONG_PATH)) as rx:
        config = tmp_path / "c.yaml"
        config.write_text(f"endpoint: {rx.url.replace('/write', '/push')}\n", "utf-8")
        _, output = _run(capsys, "--config", str(config))
    assert f"Set endpoint: {rx.url}." in _said(output, "what to do")


def test_victoria_wrong_path_with_options_names_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with InspectionReceiver(respond=lambda write: Reply(400, VM_WRONG_PATH)) as rx:
        _, output = _run(capsys, "--endpoint", rx.url.replace("/write", "/push"))
    assert f"Pass --endpoint {rx.url}." in _said(output, "what to do")


@pytest.mark.usefixtures("env_credentials")
def test_region_from_the_command_line_is_said_to_be(capsys: pytest.CaptureFixture[str]) -> None:
    status, output = _run(
        capsys,
        "--endpoint",
        "http://127.0.0.1:9/api/v1/write",
        "--region",
        "eu-west-1",
        "--dry-run",
    )
    assert status == 0, output
    assert _line(output, "signing") == "SigV4, region eu-west-1 (from --region), service aps"


@pytest.mark.usefixtures("env_credentials")
def test_region_from_the_environment_is_said_to_be(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_ENDPOINT, "http://127.0.0.1:9/api/v1/write")
    monkeypatch.setenv(ENV_AWS_REGION, "eu-west-1")
    monkeypatch.setenv(ENV_AWS_AUTH, "true")
    status, output = _run(capsys, "--dry-run")
    assert status == 0, output
    assert _line(output, "config").startswith("OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_* variables")
    assert _said(output, "signing") == (
        f"SigV4, region eu-west-1 (from {ENV_AWS_REGION}), service aps"
    )


def test_advice_to_sign_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with InspectionReceiver(
        respond=lambda write: Reply(403, json.dumps({"message": "Missing Authentication Token"}))
    ) as rx:
        monkeypatch.setenv(ENV_ENDPOINT, rx.url)
        _, output = _run(capsys)
    assert (
        _line(output, "signing") == "none (OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_AUTH is false)"
    )
    assert "set OTEL_EXPORTER_PROMETHEUS_REMOTE_WRITE_AWS_AUTH=true" in _said(output, "what to do")
    assert "aws_auth" not in output


@pytest.mark.usefixtures("env_credentials")
def test_collector_config_is_checked_and_named_in_its_own_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, output = _run(
        capsys, "--collector-config", str(COLLECTOR / "adot-amp.yaml"), "--dry-run"
    )
    assert status == 0, output
    assert _said(output, "config").endswith(
        "adot-amp.yaml (exporters.prometheusremotewrite): valid"
    )
    assert _line(output, "signing") == (
        "SigV4, region us-west-2 (from extensions.sigv4auth.region), service aps"
    )
    assert "Host: aps-workspaces.us-west-2.amazonaws.com" in output


def test_collector_config_scope_advice_uses_collector_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLECOLLECTOR")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "collector/secret/example")
    with InspectionReceiver(
        respond=lambda write: Reply(
            403, json.dumps({"message": "Credential should be scoped to a valid region."})
        )
    ) as rx:
        path = tmp_path / "otelcol.yaml"
        path.write_text(
            "extensions:\n  sigv4auth/amp:\n    region: eu-west-1\n"
            "exporters:\n  prometheusremotewrite/amp:\n"
            f"    endpoint: {rx.url}\n    auth:\n      authenticator: sigv4auth/amp\n",
            "utf-8",
        )
        status, output = _run(
            capsys, "--collector-config", str(path), "--exporter", "prometheusremotewrite/amp"
        )
    assert status == 1
    advice = _said(output, "what to do")
    assert "set extensions.sigv4auth/amp.region to it" in advice
    assert "aws_auth" not in output


def test_collector_config_unused_keys_are_warned(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("AMP_REGION", "eu-west-1")
    monkeypatch.setenv("AMP_WORKSPACE", "ws-x")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLECOLLECTOR")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "collector/secret/example")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")  # never reached
    status, output = _run(
        capsys,
        "--collector-config",
        str(COLLECTOR / "named.yaml"),
        "--exporter",
        "prometheusremotewrite/amp",
        "--dry-run",
    )
    assert "not used by this exporter: exporters.prometheusremotewrite/amp.wal" in caplog.text
    assert status == 1  # the role cannot be assumed here: said, not a traceback
    assert _line(output, "credentials").startswith("FAILED: ")
