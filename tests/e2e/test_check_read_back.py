"""`cortex-exporter check --query-url` against the real backends: write, then read back."""

from __future__ import annotations

import pytest

from cortex_exporter.cli.main import main
from tests.e2e.conftest import Backend

pytestmark = pytest.mark.e2e


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


def test_the_probe_is_read_back(backend: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["check", "--endpoint", backend.write_url, "--query-url", backend.base_url])
    output = capsys.readouterr().out
    assert status == 0, output
    said = _said(output, "read back")
    assert f"GET {backend.base_url}/api/v1/query" in said
    assert "found after " in said and "value 1" in said
    # The series found is this run's own: its unique label is in the query.
    check_id = said.split('check_id="', 1)[1].split('"', 1)[0]
    (series,) = backend.query_eventually(f'cortex_exporter_check{{check_id="{check_id}"}}')
    assert series["value"][1] == "1"


def test_victoria_metrics_wrong_path_is_explained(
    victoria_metrics: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = f"{victoria_metrics.base_url}/api/v1/push"
    status = main(["check", "--endpoint", wrong])
    output = capsys.readouterr().out
    assert status == 1
    assert _said(output, "meaning") == (
        "HTTP 400: wrong path: VictoriaMetrics does not serve /api/v1/push"
    )
    assert f"Pass --endpoint {victoria_metrics.write_url}." in _said(output, "what to do")
