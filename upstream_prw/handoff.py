"""Where an export's encoded requests go: the queue, or (queue disabled) straight to the
sender, which must be done by the export's deadline. Requests that cannot be handed over
(the queue is full, or sending failed) are collected for the export's report.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from upstream_prw.encode.batches import EncodedRequest
from upstream_prw.send.queue import ShardedQueue
from upstream_prw.send.sender import SendOutcome
from upstream_prw.telemetry import ExportTelemetry, Operation

__all__ = ["Handoff", "handoff"]

Handoff = Callable[[EncodedRequest], None]
Send = Callable[[EncodedRequest, threading.Event, float | None], SendOutcome]


def handoff(
    queue: ShardedQueue | None,
    send: Send,
    stop: threading.Event,
    refused: list[EncodedRequest],
    deadline: float,
    *,
    tracked: tuple[ExportTelemetry | None, Operation] | None = None,
    upgrade: Callable[[EncodedRequest], list[EncodedRequest]] | None = None,
) -> Handoff:
    """The handoff for one export. `tracked`: the telemetry is told first which export
    each request belongs to. `upgrade`: each request is rewritten (as Remote Write 2.0)
    before anything else sees it."""
    if queue is None:

        def send_now(request: EncodedRequest) -> None:
            if not send(request, stop, deadline).delivered:
                refused.append(request)

        out: Handoff = send_now
    else:

        def enqueue(request: EncodedRequest) -> None:
            if not queue.put(request):
                refused.append(request)

        out = enqueue
    if tracked is not None and tracked[0] is not None:
        out = _tracked(out, tracked[0], tracked[1])
    if upgrade is not None:
        out = _upgraded(out, upgrade)
    return out


def _tracked(out: Handoff, telemetry: ExportTelemetry, operation: Operation) -> Handoff:
    def tracked(request: EncodedRequest) -> None:
        telemetry.handed_off(operation, request)
        out(request)

    return tracked


def _upgraded(out: Handoff, upgrade: Callable[[EncodedRequest], list[EncodedRequest]]) -> Handoff:
    def upgraded(request: EncodedRequest) -> None:
        for each in upgrade(request):
            out(each)

    return upgraded
