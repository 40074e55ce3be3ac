"""The sandbox's EventBridge: a rule sending the emulated services' events to the events queue, best effort.

In AWS, DataZone and EMR put their events on the account's default bus and rules deliver the matching ones to
the events queue (deploy/opsbot.yaml). Here the rules are EventBridge event patterns of exact values (the subset
of the pattern language they need: a field matches when its value, or one of its values when it is a list, is
in the pattern's list; nested objects match field by field) and the delivery is a `SendMessage` to the queue from
a background thread, so no emulator waits on it or holds its lock while it is sent. moto's own EventBridge drops
the envelope's `account` on the way to SQS, so the envelope is built by the emulators, as AWS builds it.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_STOP = object()


Pattern = dict[str, Any]
EVERYTHING_FROM_AWS: tuple[Pattern, ...] = ({"source": ["aws.datazone"]}, {"source": ["aws.emr"]})


def matches(pattern: Pattern, event: dict[str, Any]) -> bool:
    """Whether `event` matches an EventBridge pattern of exact values."""
    for key, wanted in pattern.items():
        value = event.get(key)
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not matches(wanted, value):
                return False
        elif isinstance(value, list):
            if not any(v in wanted for v in value):
                return False
        elif value not in wanted:
            return False
    return True


class EventPublisher:
    """Sends each published event that a rule matches to the queue, in order, on its own thread."""

    def __init__(self, sqs: Any, queue_url: str, rules: Iterable[Pattern] = EVERYTHING_FROM_AWS) -> None:
        self.sqs, self.queue_url = sqs, queue_url
        self.rules = tuple(rules)
        # Tests that want silence switch delivery off; events published meanwhile are dropped, not kept.
        self.enabled = True
        self.sent = 0
        self.dropped = 0
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sandbox-eventbus", daemon=True)
        self._thread.start()

    def publish(self, event: dict[str, Any]) -> None:
        """Queue `event` for delivery and return at once."""
        if self.enabled and any(matches(rule, event) for rule in self.rules):
            self._queue.put(event)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until everything published so far was sent (or dropped); False if that took over `timeout`."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def stop(self) -> None:
        """Send what is queued, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(item, default=str))
                self.sent += 1
            except Exception as exc:  # best effort, as DataZone's delivery is: logged and dropped
                self.dropped += 1
                log.warning("sandbox_event_dropped", detail_type=item.get("detail-type"), error=str(exc))


__all__ = ["EVERYTHING_FROM_AWS", "EventPublisher", "matches"]
