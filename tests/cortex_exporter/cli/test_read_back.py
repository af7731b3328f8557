"""`check --query-url`: the probe read back through the query API, signed like the write."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortex_exporter.cli.main import main
from cortex_exporter.cli.readback import query_endpoint
from tests.cortex_exporter.amp_like import amp_workspace
from tests.cortex_exporter.support import ACCESS_KEY, SECRET_KEY, SESSION_TOKEN


def _said(output: str, label: str) -> str:
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


def _config(tmp_path: Path, endpoint: str) -> str:
    path = tmp_path / "amp.yaml"
    path.write_text(
        f"endpoint: {endpoint}\naws_auth:\n  enabled: true\n  region: us-east-1\n", "utf-8"
    )
    return str(path)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h:9090", "http://h:9090/api/v1/query"),
        ("http://h:8428/", "http://h:8428/api/v1/query"),
        ("http://mimir/prometheus", "http://mimir/prometheus/api/v1/query"),
        ("http://h:9090/api/v1/query", "http://h:9090/api/v1/query"),
        (
            "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1",
            "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query",
        ),
    ],
)
def test_the_query_path(given: str, expected: str) -> None:
    assert query_endpoint(given) == expected


@pytest.mark.usefixtures("env_credentials")
def test_amp_shaped_read_back_is_signed_like_the_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with amp_workspace({ACCESS_KEY: SECRET_KEY}) as ws:
        config = _config(tmp_path, f"{ws.url}/api/v1/remote_write")
        status = main(["check", "--config", config, "--query-url", ws.url])
    output = capsys.readouterr().out
    assert status == 0, output
    # The write and every query reached the workspace signed, and verified.
    assert ws.seen[0] == ("POST", "/workspaces/ws-x/api/v1/remote_write", True)
    assert ("GET", "/workspaces/ws-x/api/v1/query", True) in ws.seen
    assert all(ok for _, _, ok in ws.seen)
    ((labels, _),) = ws.stored
    assert labels["__name__"] == "cortex_exporter_check" and len(labels["check_id"]) == 16
    said = _said(output, "read back")
    assert f"GET {ws.url}/api/v1/query" in said
    assert f'check_id="{labels["check_id"]}"' in said
    assert "found after " in said and "value 1" in said
    assert SECRET_KEY not in output and SESSION_TOKEN not in output
    assert output.rstrip().endswith("result      OK")


@pytest.mark.usefixtures("env_credentials")
def test_a_query_refused_for_permission_says_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with amp_workspace({ACCESS_KEY: SECRET_KEY}) as ws:
        ws.query_status = 403
        config = _config(tmp_path, f"{ws.url}/api/v1/remote_write")
        status = main(["check", "--config", config, "--query-url", ws.url])
    output = capsys.readouterr().out
    assert status == 1
    assert "FAILED: the query failed: HTTP 403" in _said(output, "read back")
    assert "aps:QueryMetrics" in _said(output, "what to do")
    assert len([s for s in ws.seen if s[0] == "GET"]) == 1  # a refusal is not retried


@pytest.mark.usefixtures("env_credentials")
def test_a_sample_that_never_shows_up_fails_by_the_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    with (
        amp_workspace({ACCESS_KEY: SECRET_KEY}) as ws,
        amp_workspace({ACCESS_KEY: SECRET_KEY}) as elsewhere,
    ):
        config = _config(tmp_path, f"{ws.url}/api/v1/remote_write")
        started = time.monotonic()
        status = main(
            ["check", "--config", config, "--query-url", elsewhere.url, "--query-timeout", "1.5"]
        )
        took = time.monotonic() - started
    output = capsys.readouterr().out
    assert status == 1
    said = _said(output, "read back")
    assert "FAILED: not found within 1.5s" in said and "no such series yet" in said
    assert took < 5
    assert output.rstrip().endswith("result      FAILED")
