"""A credential lookup under way in another thread at fork time does not hang the child:
the lock it held is renewed there."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.cortex_exporter.support import ROOT, clean_env

_SCRIPT = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    import requests
    from auth import SigV4Auth
    from cortex_exporter.factory import DeferredCredentials
    from botocore.credentials import Credentials

    hook = SigV4Auth(region="us-east-1")  # the default chain, looked up on first use
    deferred = DeferredCredentials(lambda: Credentials("AKIDEXAMPLE", "secret"), "test")
    hook._resolve_lock.acquire()  # as if another thread were looking credentials up
    deferred._lock.acquire()
    pid = os.fork()
    if pid == 0:
        request = requests.Request("POST", "https://h.example/w", data=b"x").prepare()
        signed = hook(request)
        key = deferred.get_frozen_credentials().access_key
        print(signed.headers["Authorization"].split("/")[0], key, flush=True)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print("child exit", os.waitstatus_to_exitcode(status), flush=True)
    """
)


def test_a_lock_held_at_the_fork_does_not_hang_the_child() -> None:
    env = clean_env() | {"AWS_ACCESS_KEY_ID": "AKIDCHILD", "AWS_SECRET_ACCESS_KEY": "s"}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(root=str(ROOT))],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "AWS4-HMAC-SHA256 Credential=AKIDCHILD AKIDEXAMPLE",
        "child exit 0",
    ]
