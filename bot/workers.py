"""Background work a capability owns (a sender thread, a poller): declared at registration, run by the kernel.

A capability hands its workers to `Registry.worker`; `build_app` starts them once every capability is
registered, and `Deps.close` stops them, newest first, before the connections they use are released.
"""

from __future__ import annotations

import threading
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)


class Worker(Protocol):
    """Something that runs in the background between `start()` and `stop()`."""

    def start(self) -> object: ...

    def stop(self) -> None: ...


class Workers:
    """The process's workers, started once and stopped in reverse order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[Worker] = []
        self._running: list[Worker] = []

    def add(self, worker: Worker) -> None:
        """Run `worker` from the next `start()` on."""
        with self._lock:
            self._waiting.append(worker)

    def start(self) -> None:
        """Start every worker added since the last call."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for worker in waiting:
            worker.start()
            with self._lock:
                self._running.append(worker)

    def stop(self) -> None:
        """Stop every running worker, newest first; one that fails to stop does not keep the others running."""
        with self._lock:
            running, self._running = self._running, []
        for worker in reversed(running):
            try:
                worker.stop()
            except Exception:  # stopping is best effort: what is pending stays in the database
                log.exception("worker_stop_failed", worker=type(worker).__name__)
