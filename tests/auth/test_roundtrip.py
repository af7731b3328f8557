"""Property: whatever path, header values and body a request has, signer and verifier agree."""

from __future__ import annotations

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from auth.sigv4 import SigV4Auth
from auth.verify import verify
from tests.auth.fakes import ACCESS_KEY, SECRET_KEY, Clock, static_credentials

segments = st.lists(
    st.text(alphabet="aZ09-._~ %;=,@:!$'()*+ሴé", max_size=8) | st.sampled_from([".", ".."]),
    max_size=5,
)
header_values = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.just(" ")
)


@settings(max_examples=150, deadline=None)
@given(
    path=segments,
    trailing_slash=st.booleans(),
    version=header_values,
    body=st.binary(max_size=2048),
)
def test_signed_requests_verify(
    path: list[str], trailing_slash: bool, version: str, body: bytes
) -> None:
    url = "https://aps-workspaces.us-east-1.amazonaws.com/" + "/".join(path)
    url += "/" if trailing_slash else ""
    request = requests.Request(
        "POST",
        url,
        data=body,
        headers={"X-Prometheus-Remote-Write-Version": version.strip() or "0.1.0"},
    ).prepare()
    clock = Clock()
    SigV4Auth(region="us-east-1", credentials=static_credentials(), clock=clock)(request)

    result = verify(
        method="POST",
        target=request.path_url,
        headers=request.headers.items(),
        body=body,
        secrets={ACCESS_KEY: SECRET_KEY},
        now=clock(),
    )
    assert result.reason == "ok", result.canonical_request
