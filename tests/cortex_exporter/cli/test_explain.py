"""Explanations for answers and failures that the check tests cannot easily provoke."""

from __future__ import annotations

import pytest
import requests

from auth import NoCredentialsError
from cortex_exporter.cli.explain import explain_error, explain_response


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (requests.exceptions.ProxyError("refused"), "proxy_url or HTTPS_PROXY"),
        (requests.exceptions.ConnectTimeout("slow"), "aps-workspaces VPC endpoint"),
        (requests.exceptions.ReadTimeout("slow"), "no answer within timeout (5s)"),
        (requests.exceptions.SSLError("bad cert"), "tls.ca_file"),
        (requests.exceptions.ConnectionError("dns"), "host name (DNS)"),
        (ValueError("odd"), "could not be sent"),
    ],
)
def test_each_transport_failure_has_advice(error: Exception, advice: str) -> None:
    diagnosis = explain_error(error, timeout=5.0)
    assert not diagnosis.ok
    assert diagnosis.summary.startswith(type(error).__name__ + ": ")
    assert advice in diagnosis.advice


def test_an_auth_failure_carries_the_auth_message() -> None:
    diagnosis = explain_error(NoCredentialsError(["env", "iam-role"]), timeout=5.0)
    assert diagnosis.summary == "not signed, so not sent"
    assert diagnosis.advice.startswith("no AWS credentials found (providers tried: env, iam-role)")


def test_403_matching_ignores_case_and_json_layout() -> None:
    body = (
        '{"__type":"AccessDeniedException",'
        '"Message":"User: x IS NOT AUTHORIZED TO PERFORM: aps:RemoteWrite"}'
    )
    diagnosis = explain_response(403, body, max_batch_size_bytes=1)
    assert diagnosis.summary == "HTTP 403: the identity lacks permission aps:RemoteWrite"


def test_long_bodies_are_cut_in_the_summary() -> None:
    diagnosis = explain_response(400, "x" * 5000, max_batch_size_bytes=1)
    assert len(diagnosis.summary) < 320
