"""The sandbox's EventBridge: a rule sending the emulated services' events to the events queue, best effort.

In AWS, DataZone and EMR put their events on the account's default bus and a rule delivers the matching ones to
the events queue (deploy/opsbot.yaml). Here the rule is a set of sources and the delivery a `SendMessage` to the
queue from a background thread, so no emulator waits on it or holds its lock while it is sent. (moto's own
EventBridge drops the envelope's `account` on the way to SQS, so the envelope is built here, as AWS builds it.)
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


class EventPublisher:
    """Sends each published event whose source the rule matches to the queue, in order, on its own thread."""

    def __init__(self, sqs: Any, queue_url: str, sources: Iterable[str] = ("aws.datazone", "aws.emr")) -> None:
        self.sqs, self.queue_url = sqs, queue_url
        self.sources = frozenset(sources)
        # Tests that want silence switch delivery off; events published meanwhile are dropped, not kept.
        self.enabled = True
        self.sent = 0
        self.dropped = 0
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sandbox-eventbus", daemon=True)
        self._thread.start()

    def publish(self, event: dict[str, Any]) -> None:
        """Queue `event` for delivery and return at once."""
        if self.enabled and event.get("source") in self.sources:
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


__all__ = ["EventPublisher"]
