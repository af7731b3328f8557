"""The watchdog cuts an attempt at its deadline by shutting its socket, and keeps no thread
once there is nothing to watch."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

from upstream_prw.send import watchdog as module
from upstream_prw.send.watchdog import IDLE_EXIT, Watchdog


def test_a_read_blocked_past_the_deadline_returns_and_the_watch_says_expired() -> None:
    dog = Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs:
        started = time.monotonic()
        with dog.watching(dog.clock() + 0.2) as watch:
            module._note_connection(SimpleNamespace(sock=ours))
            assert ours.recv(1) == b""  # blocked until the watchdog shut the socket
        took = time.monotonic() - started
    assert watch.expired
    assert 0.2 <= took < 3 * 0.2


def test_a_connection_opened_after_the_deadline_is_shut_as_soon_as_it_is_noted() -> None:
    dog = Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs, dog.watching(dog.clock() + 0.05) as watch:
        time.sleep(0.2)
        module._note_connection(SimpleNamespace(sock=ours))
        assert ours.recv(1) == b""
    assert watch.expired


def test_an_attempt_within_its_deadline_is_left_alone() -> None:
    dog = Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs:
        with dog.watching(dog.clock() + 5.0) as watch:
            module._note_connection(SimpleNamespace(sock=ours))
            theirs.sendall(b"x")
            assert ours.recv(1) == b"x"
        assert not watch.expired
        theirs.sendall(b"y")
        assert ours.recv(1) == b"y"  # the socket stays usable


def test_the_thread_exits_when_idle_and_returns_on_demand() -> None:
    dog = Watchdog()
    with dog.watching(dog.clock() + 0.01):
        pass
    thread = dog._thread
    assert thread is not None
    thread.join(3 * IDLE_EXIT)
    assert not thread.is_alive() and dog._thread is None
    with dog.watching(dog.clock() + 0.01):
        assert dog._thread is not None and dog._thread.is_alive()
