"""Liveness of the parts that take events: each part a named check, `/healthz` answers 503 naming those failing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# A problem in words (shown by /healthz), or None when the part is fine.
Check = Callable[[], str | None]


def poll_bound(wait_seconds: int) -> float:
    """Seconds without a successful poll after which the consumer counts as dead.

    A healthy consumer comes back from a long poll within `wait_seconds` (SQS answers at the end of the
    wait even with no message), then handles at most 10 messages. Three waits plus 30 s leaves room for a
    slow batch and a transient SQS error retried with backoff, and still lets an orchestrator replace a
    bot that takes no events within about a minute and a half at the default 20 s wait.
    """
    return 3 * wait_seconds + 30.0


class PollLiveness:
    """When a polling loop last made progress; dead when stopped or silent for longer than `bound` seconds."""

    def __init__(self, bound: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.bound = bound
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._started: float | None = None
        self._stopped = False

    def started(self) -> None:
        """The loop began: it has `bound` seconds for its first successful poll."""
        with self._lock:
            self._started, self._stopped = self._clock(), False

    def beat(self) -> None:
        """A poll succeeded (or a message was finished with)."""
        with self._lock:
            self._last = self._clock()

    def stopped(self) -> None:
        """The loop was stopped on purpose (shutdown): it takes no events any more."""
        with self._lock:
            self._stopped = True

    def problem(self) -> str | None:
        """None while alive; otherwise what is wrong."""
        with self._lock:
            if self._stopped or self._started is None:
                return "stopped"
            since = self._last if self._last is not None else self._started
            silent = self._clock() - since
        if silent > self.bound:
            what = "no successful poll" if self._last is not None else "no successful poll since start"
            return f"{what} for {silent:.0f} s (bound {self.bound:.0f} s)"
        return None


def connection_check(is_connected: Callable[[], bool]) -> Check:
    """A check over a client's `is_connected()` (slack_sdk's Socket Mode clients have one)."""

    def check() -> str | None:
        try:
            return None if is_connected() else "disconnected"
        except Exception as exc:  # a check must answer, whatever the client does
            return f"cannot tell: {type(exc).__name__}"

    return check


class Health:
    """The named checks `/healthz` runs besides the database: `consumer`, `socket_mode`, ..."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        """Report `name` as failing whenever `check` returns a problem."""
        self._checks[name] = check

    def problems(self) -> dict[str, str]:
        """Each failing part and what is wrong with it; empty when all are well."""
        found = {}
        for name, check in self._checks.items():
            try:
                problem = check()
            except Exception as exc:
                problem = f"check failed: {type(exc).__name__}"
            if problem is not None:
                found[name] = problem
        return found
