"""A deadline for the whole of an attempt, not just for each silence.

A socket timeout bounds one wait: a backend that trickles its status line and headers a
byte at a time, each within the timeout, would hold an attempt (and a queue worker, or the
caller of `export`) for as long as it likes. Requests offers no total deadline, so a
watchdog thread shuts the attempt's socket once its deadline has passed; the blocked read
then returns and the attempt fails.

The socket is found through the connection pool: `WatchedAdapter`'s pools note each
connection they hand out on the current thread's watch. A session whose adapters are not
ours is simply not watched beyond its socket timeouts.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = [
    "IDLE_EXIT",
    "Watch",
    "Watchdog",
    "WatchedAdapter",
    "WatchedHTTPConnectionPool",
    "WatchedHTTPSConnectionPool",
    "watchdog",
    "watched",
]

IDLE_EXIT = 2.0
"""Seconds the watchdog thread waits without work before it exits (it restarts on demand),
so that an idle process keeps no thread of ours."""

_RECHECK = 0.05
"""How often an expired watch whose connection was not yet open is looked at again."""

_local = threading.local()


class Watch:
    """One attempt: its deadline, the connection it uses, and whether it ran out of time."""

    __slots__ = ("connection", "deadline", "done", "expired")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.connection: Any = None
        self.done = False
        self.expired = False

    def __lt__(self, other: Watch) -> bool:
        return self.deadline < other.deadline

    def shut(self) -> None:
        """Shut the connection's socket, so that a read blocked on it returns."""
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):  # closed meanwhile: nothing left to stop
                sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """Shuts the sockets of attempts that outlive their deadline; one serves a process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[Watch] = []
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def watching(self, deadline: float) -> Iterator[Watch]:
        """Watch the attempt made inside the block until `deadline` (on `clock`);
        `Watch.expired` says whether it was cut."""
        watch = Watch(deadline)
        with self._cond:
            heapq.heappush(self._heap, watch)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="remote-write-deadline", daemon=True
                )
                self._thread.start()
            elif self._heap[0] is watch:
                self._cond.notify()
        previous = getattr(_local, "watch", None)
        _local.watch = watch
        try:
            yield watch
        finally:
            _local.watch = previous
            with self._cond:
                watch.done = True
                if self._heap and self._heap[0] is watch:
                    self._cond.notify()  # to drop it now, not at its deadline

    def _run(self) -> None:
        cond = self._cond
        idle_since: float | None = None
        with cond:
            while True:
                now = self.clock()
                while self._heap and self._heap[0].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    idle_since = now if idle_since is None else idle_since
                    if now - idle_since >= IDLE_EXIT:
                        self._thread = None
                        return
                    cond.wait(IDLE_EXIT - (now - idle_since))
                    continue
                idle_since = None
                if self._heap[0].deadline > now:
                    cond.wait(self._heap[0].deadline - now)
                    continue
                for watch in self._heap:
                    if not watch.done and watch.deadline <= now:
                        watch.expired = True
                        watch.shut()  # at each look: it may have connected since the last
                cond.wait(_RECHECK)

    def after_fork_in_child(self) -> None:
        """The thread did not survive the fork and its lock may be held: start afresh."""
        self._reset()


watchdog = Watchdog()
"""The process's watchdog."""

os.register_at_fork(after_in_child=watchdog.after_fork_in_child)


def _note_connection(connection: Any) -> None:
    watch: Watch | None = getattr(_local, "watch", None)
    if watch is not None:
        watch.connection = connection
        if watch.expired:
            watch.shut()


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    """A pool that tells the watchdog which connection the current attempt took (its
    name shows in connection errors, so it says what it is)."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)
        _note_connection(connection)
        return connection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    """The same for https."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)
        _note_connection(connection)
        return connection


_POOLS = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """An `HTTPAdapter` whose connections the watchdog can find."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if proxy.lower().startswith("http"):  # a SOCKS manager keeps its own pools
            manager.pool_classes_by_scheme = _POOLS
        return manager


def watched(adapter: HTTPAdapter) -> HTTPAdapter:
    """A plain `HTTPAdapter` as a `WatchedAdapter` with the same pool and retry settings;
    any other adapter is its owner's and is returned as it is."""
    if type(adapter) is not HTTPAdapter:
        return adapter
    return WatchedAdapter(
        pool_connections=adapter._pool_connections,  # type: ignore[attr-defined]
        pool_maxsize=adapter._pool_maxsize,  # type: ignore[attr-defined]
        max_retries=adapter.max_retries,
        pool_block=adapter._pool_block,  # type: ignore[attr-defined]
    )
