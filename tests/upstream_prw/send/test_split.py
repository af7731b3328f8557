"""A request the backend keeps refusing while it takes the others is split in halves until
the one series it refuses is alone; that series is given up, named; the rest arrive, in
order, once each."""

from __future__ import annotations

import logging
import threading

import pytest

from tests.upstream_prw.payloads import encoded_request
from tests.upstream_prw.receiver import Receiver, Step
from upstream_prw.config import RemoteWriteSettings
from upstream_prw.encode.split import series_name, split_request
from upstream_prw.proto import remote_pb2
from upstream_prw.send import Sender, Stats

_RETRY = {"initial_interval": 0.01, "max_interval": 0.02, "max_elapsed_time": 30}


def _names(write: remote_pb2.WriteRequest | None) -> list[str]:
    if write is None:
        return []
    return [
        next(lab.value for lab in ts.labels if lab.name == "__name__") for ts in write.timeseries
    ]


def test_split_keeps_order_and_counts() -> None:
    request = encoded_request(
        [({"__name__": f"s{i}"}, [(1000, 1.0), (2000, 2.0)]) for i in range(5)]
    )
    first, second = split_request(request) or (None, None)
    assert first is not None and second is not None
    assert (first.series, first.samples, second.series, second.samples) == (2, 4, 3, 6)
    assert series_name(second) == "s2{}"
    assert split_request(first) is not None
    single = encoded_request([({"__name__": "x", "job": "j"}, [(1, 1.0)])])
    assert split_request(single) is None and series_name(single) == 'x{job="j"}'


def test_one_refused_series_costs_only_itself(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.judge = lambda write: (
        Step(500, body="poisoned") if "poison" in _names(write) else Step()
    )
    stats = Stats()
    settings = RemoteWriteSettings.from_mapping(
        {"endpoint": receiver.url, "retry_on_failure": _RETRY}
    )
    sender = Sender(settings, stats=stats)
    names = ["a", "b", "c", "poison", "d", "e", "f", "g"]
    mixed = encoded_request([({"__name__": n, "job": "j"}, [(1000, 1.0)]) for n in names])
    healthy = encoded_request([({"__name__": "other"}, [(1000, 1.0)])])
    stop = threading.Event()

    def others() -> None:  # another shard's requests keep being taken meanwhile
        while not stop.wait(0.02):
            sender.send(healthy, stop)

    thread = threading.Thread(target=others)
    thread.start()
    try:
        with caplog.at_level(logging.WARNING, logger="upstream_prw"):
            outcome = sender.send(mixed, threading.Event())
    finally:
        stop.set()
        thread.join(5)
    assert not outcome.delivered
    assert outcome.error == 'poison{job="j"}: HTTP 500: poisoned'
    taken = [n for r in receiver.received if r.status == 204 for n in _names(r.write_request)]
    assert [n for n in taken if n != "other"] == ["a", "b", "c", "d", "e", "f", "g"]
    named = [
        r.getMessage()
        for r in caplog.records
        if "refused alone" in r.getMessage() or "poison{" in r.getMessage()
    ]
    assert len(named) == 1 and 'poison{job="j"}: HTTP 500: poisoned' in named[0]
    assert "keeps refusing" in named[0] or "not this series" in named[0]
    snapshot = stats.snapshot()
    assert snapshot.samples_failed == 1
    sender.close()
