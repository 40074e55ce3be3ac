"""Keeps a loop running in a background thread: whenever it ends, for whatever reason, it starts again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

# A loop that ran this long before ending counts as having worked: the next restart backs off from the start.
HEALTHY_RUN_SECONDS = 300.0
MAX_RESTART_DELAY = 60.0


def restart_delay(restarts: int) -> float:
    """Seconds before restart number `restarts` (1, 2, ...): 1, 2, 4, ... capped at a minute."""
    return min(MAX_RESTART_DELAY, 2.0 ** max(0, restarts - 1))


class Supervised:
    """Runs `loop(stop)` on a daemon thread and restarts it with backoff until `stop()` is called."""

    def __init__(
        self,
        name: str,
        loop: Callable[[threading.Event], None],
        delay: Callable[[int], float] = restart_delay,
    ) -> None:
        self.name = name
        self._loop = loop
        self._delay = delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.restarts = 0

    def start(self) -> None:
        """Start the thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._supervise, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Ask the loop to end and wait up to `timeout` seconds for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        """True once `stop()` was called."""
        return self._stop.is_set()

    def _supervise(self) -> None:
        failures = 0
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                self._loop(self._stop)
                ended = "returned"
            except BaseException as exc:  # whatever ends the loop, intake must go on
                ended = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("supervised_loop_crashed", loop=self.name)
            if self._stop.is_set():
                return
            failures = 1 if time.monotonic() - began > HEALTHY_RUN_SECONDS else failures + 1
            self.restarts += 1
            wait = self._delay(failures)
            log.error(
                "supervised_loop_restarting", loop=self.name, ended=ended, restart_in=wait, restarts=self.restarts
            )
            self._stop.wait(wait)
