"""Faults tests ask the fake Slack for: the next N calls fail, calls fail for a while, or Slack rate-limits."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# https://docs.slack.dev/apis/web-api/rate-limits: past a method's limit Slack answers "HTTP 429 Too Many
# Requests" with "a Retry-After HTTP header containing the number of seconds until you can retry"; the body is
# {"ok": false, "error": "ratelimited"} (the error slack_sdk's RateLimitErrorRetryHandler is written against).
RATELIMITED = {"ok": False, "error": "ratelimited"}


@dataclass
class Answer:
    """A status, body and headers to answer a call with instead of its real answer."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # Only calls whose decoded body this accepts get the answer; None for every call.
    when: Callable[[dict[str, Any]], bool] | None = None

    def applies(self, body: dict[str, Any]) -> bool:
        """Whether this answer is for a call with this body."""
        return self.when is None or bool(self.when(body))


@dataclass
class _Window:
    method: str
    until: float
    answer: Answer


@dataclass
class _Limit:
    method: str
    calls: int
    per_seconds: float
    seen: deque[float] = field(default_factory=deque)


class Faults:
    """Pending faults by method ("*" matches every method); thread-safe."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._next: dict[str, list[Answer]] = {}
        self._windows: list[_Window] = []
        self._limits: list[_Limit] = []

    def fail_next(self, method: str, answer: Answer, times: int) -> None:
        """The next `times` calls of `method` get `answer`."""
        with self._lock:
            self._next.setdefault(method, []).extend([answer] * times)

    def fail_for(self, method: str, seconds: float, answer: Answer) -> None:
        """Every call of `method` in the next `seconds` gets `answer`."""
        with self._lock:
            self._windows.append(_Window(method, self.clock() + seconds, answer))

    def ratelimit(self, method: str, calls: int, per_seconds: float) -> None:
        """More than `calls` calls of `method` within `per_seconds` get HTTP 429 with Retry-After."""
        with self._lock:
            self._limits.append(_Limit(method, calls, per_seconds))

    def clear(self) -> None:
        """Forget every fault."""
        with self._lock:
            self._next.clear()
            self._windows.clear()
            self._limits.clear()

    def take(self, method: str, body: dict[str, Any]) -> Answer | None:
        """The fault answering this call of `method`, if any."""
        now = self.clock()
        with self._lock:
            for key in (method, "*"):
                pending = self._next.get(key, [])
                for i, answer in enumerate(pending):
                    if answer.applies(body):
                        return pending.pop(i)
            self._windows = [w for w in self._windows if w.until > now]
            for window in self._windows:
                if window.method in (method, "*"):
                    return window.answer
            for limit in self._limits:
                if limit.method not in (method, "*"):
                    continue
                while limit.seen and limit.seen[0] <= now - limit.per_seconds:
                    limit.seen.popleft()
                if len(limit.seen) >= limit.calls:
                    wait = math.ceil(limit.seen[0] + limit.per_seconds - now)
                    return Answer(429, dict(RATELIMITED), {"Retry-After": str(max(wait, 1))})
                limit.seen.append(now)
        return None
