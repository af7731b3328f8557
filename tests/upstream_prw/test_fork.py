"""After `os.fork()`: the child delivers its own data, the parent is unaffected, nothing is
sent twice, and a lock held at the fork is not inherited.

The forking runs in a fresh interpreter (forking a threaded pytest process is what the
warnings are about); the receiver runs here and counts what arrives from both.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter

from tests.upstream_prw.receiver import Receiver, Step

ROOT = __file__.rsplit("/tests/", 1)[0]

_SCRIPT = textwrap.dedent(
    """
    import logging, os, sys, threading, time
    sys.path.insert(0, {root!r})
    from opentelemetry.sdk.metrics.export import MetricsData
    from tests.upstream_prw.builders import data, gauge, number
    from upstream_prw import new_exporter

    logging.basicConfig(level=logging.WARNING, format="%(process)d %(message)s")
    exporter = new_exporter({{"endpoint": {url!r}, "remote_write_queue": {{"num_consumers": 1}}}})
    exporter.export(data(gauge("parent_queued", number(1))))  # its answer is slow: still held
    time.sleep(0.3)
    exporter.export(data(gauge("parent_pending", number(2))))  # waits behind it in the queue
    exporter._export_lock.acquire()  # as if another thread were exporting at the fork
    pid = os.fork()
    if pid == 0:
        assert exporter.export(data(gauge("child", number(3)))).name == "SUCCESS"
        assert exporter.force_flush(5000)
        exporter.shutdown(timeout_millis=5000)
        print("child", exporter.stats.requests_sent, flush=True)
        os._exit(0)
    exporter._export_lock.release()
    _, status = os.waitpid(pid, 0)
    exporter.export(data(gauge("parent_after", number(4))))
    exporter.shutdown(timeout_millis=5000)
    print("parent", exporter.stats.requests_sent, os.waitstatus_to_exitcode(status), flush=True)
    """
)


def _names(receiver: Receiver) -> Counter[str]:
    """How often each metric's samples arrived, stale markers apart."""
    seen: Counter[str] = Counter()
    for request in receiver.received:
        for labels, samples in request.series():
            name = labels["__name__"]
            if name != "target_info" and any(v == v for _, v in samples):  # not NaN
                seen[name] += 1
    return seen


def test_child_delivers_its_own_parent_is_unaffected_nothing_twice() -> None:
    with Receiver() as receiver:
        receiver.script(Step(delay=1.0))  # the first request is held while the fork happens
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT.format(root=ROOT, url=receiver.url)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        names = _names(receiver)
    assert names == Counter(parent_queued=1, parent_pending=1, child=1, parent_after=1)
    child, parent = done.stdout.splitlines()  # the parent waits for the child to exit
    assert child.split()[0] == "child" and int(child.split()[1]) >= 1
    assert parent.split()[0] == "parent" and parent.split()[2] == "0"  # the child exited 0
    # The child shares the parent's resource (no service.instance.id): it is told how to fix it.
    warnings = [line for line in done.stderr.splitlines() if "forked" in line]
    assert len(warnings) == 1 and "post_fork" in warnings[0]
