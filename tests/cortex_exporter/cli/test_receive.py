"""`cortex-exporter receive`: a line per request, each series with --verbose."""

from __future__ import annotations

import io
import re
import threading
import time

import cramjam
import pytest
import requests
from botocore.credentials import Credentials

from auth import SigV4Auth
from cortex_exporter.cli.main import main
from cortex_exporter.cli.receive import run_receive
from tests.cortex_exporter.support import ACCESS_KEY, SECRET_KEY
from upstream_prw.proto import remote_pb2


def _body() -> bytes:
    message = remote_pb2.WriteRequest()
    ts = message.timeseries.add()
    ts.labels.add(name="__name__", value="up")
    ts.labels.add(name="job", value="a")
    ts.samples.add(value=1.0, timestamp=1000)
    return bytes(cramjam.snappy.compress_raw(message.SerializeToString()))


def _url(out: io.StringIO) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = re.search(r"listening on (\S+)", out.getvalue())
        if found:
            return found.group(1)
        time.sleep(0.01)
    raise AssertionError(out.getvalue())


def test_prints_a_line_per_request_and_each_series() -> None:
    out = io.StringIO()
    stop = threading.Event()
    serving = threading.Thread(
        target=run_receive,
        args=(out,),
        kwargs={
            "host": "127.0.0.1",
            "port": 0,
            "secrets": {ACCESS_KEY: SECRET_KEY},
            "region": "us-east-1",
            "duration": None,
            "verbose": True,
            "stop": stop,
        },
    )
    serving.start()
    url = _url(out)
    signer = SigV4Auth(region="us-east-1", credentials=Credentials(ACCESS_KEY, SECRET_KEY))
    assert requests.post(url, data=_body(), auth=signer).status_code == 204
    assert requests.post(url, data=_body()).status_code == 403
    stop.set()
    serving.join(5)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"listening on {url} (verifying SigV4 for key AKID***); Ctrl-C stops"
    assert re.fullmatch(
        r"#1 POST /api/v1/write: 1 series, 1 samples, \d+ bytes; signature verified; "
        r"answered 204",
        lines[1],
    )
    assert lines[2] == '    up{job="a"} 1'
    assert "signature unsigned; answered 403" in lines[3]
    assert lines[-1] == "stopped: 2 requests, 2 samples"
    assert SECRET_KEY not in out.getvalue()


def test_the_command_stops_after_its_duration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["receive", "--port", "0", "--duration", "0.2"]) == 0
    output = capsys.readouterr().out
    assert "(not verifying signatures)" in output
    assert output.rstrip().endswith("stopped: 0 requests, 0 samples")


def test_a_key_without_its_secret_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["receive", "--access-key-id", ACCESS_KEY])
    assert exited.value.code == 2
    assert "--access-key-id and --secret-access-key go together" in capsys.readouterr().err
