"""A heartbeat for long runs: a daemon thread renews the run's mark of life in the database until the run ends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

import structlog

log = structlog.get_logger(__name__)


class Heartbeat:
    """Calls `beat()` every `interval` seconds during the `with` block; `beat` returns False once the claim is lost."""

    def __init__(self, name: str, beat: Callable[[], bool], interval: float) -> None:
        self.name = name
        self._beat = beat
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"opsbot-heartbeat-{name}", daemon=True)
        self.lost = False

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(self._interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                held = self._beat()
            except Exception as exc:
                # The database may be back by the next beat; until the bound passes nobody takes the run over.
                log.warning("heartbeat_failed", run=self.name, error=f"{type(exc).__name__}: {exc}"[:300])
                continue
            if not held and not self.lost:
                self.lost = True
                log.error("heartbeat_lost", run=self.name)
