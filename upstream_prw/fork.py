"""What the exporter does about `fork()`: renew itself in the child, and notice when the
child most likely shares its parent's `service.instance.id`."""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["IdentityCheck", "after_fork_in_child"]

logger = logging.getLogger("upstream_prw.exporter")

_INSTANCES_NOTED = 16
"""How many service.instance.id values an exporter notes for the fork check: one process
exports one or a few; past this many the check would tell nothing and only cost."""


class IdentityCheck:
    """Notes the instances exported; in a forked child, warns once if they are shared."""

    def __init__(self) -> None:
        self._instances: set[object] = set()  # service.instance.id values exported
        self._forked_from: set[object] | None = None  # the parent's, in a forked child

    @property
    def wanted(self) -> bool:
        """Whether the next export should be looked at (cheap: checked on every export)."""
        return self._forked_from is not None or len(self._instances) < _INSTANCES_NOTED

    def forked(self) -> None:
        self._forked_from = set(self._instances)

    def check(self, metrics_data: Any) -> None:
        instances = {
            rm.resource.attributes.get("service.instance.id")
            for rm in metrics_data.resource_metrics
        }
        self._instances |= instances
        parent, self._forked_from = self._forked_from, None
        # Nothing exported before the fork: the resource was most likely built before it too
        # (the SDK draws a random service.instance.id once), and so is every sibling's.
        if parent is not None and (not parent or any(i is None or i in parent for i in instances)):
            logger.warning(
                "this process was forked after the exporter was built, so its metrics most "
                "likely carry the same service.instance.id as its parent's and its siblings', "
                "and workers overwrite each other's series; build the MeterProvider in each "
                "worker (gunicorn's post_fork, uWSGI's @postfork, Celery's "
                "worker_process_init), or give each worker its own service.instance.id"
            )


def after_fork_in_child(method: Callable[[], None]) -> None:
    """Have the bound `method` run in every child forked from now on, for as long as its
    object lives (the registration holds it only weakly)."""
    if not hasattr(os, "register_at_fork"):  # pragma: no cover - not on Windows
        return
    ref = weakref.WeakMethod(method)

    def in_child() -> None:
        alive = ref()
        if alive is not None:
            alive()

    os.register_at_fork(after_in_child=in_child)
