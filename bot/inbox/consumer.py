"""Long-polls the events queue: a message is deleted only once handled; poison ones reach the DLQ by redrive."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from bot.inbox.envelope import MalformedMessage, parse_message
from bot.inbox.service import Inbox
from bot.metrics import Metrics

log = structlog.get_logger(__name__)

# SQS's own ceiling for a visibility timeout is 12 hours; a failing handler backs off well below it.
MAX_RETRY_DELAY = 900


def retry_delay(receive_count: int) -> int:
    """Seconds before a failed message is seen again: 5, 10, 20, ... capped."""
    return min(MAX_RETRY_DELAY, 5 * 2 ** max(0, receive_count - 1))


class SqsConsumer:
    """A background thread that receives, handles and deletes messages from one queue."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        inbox: Inbox,
        metrics: Metrics,
        *,
        wait_seconds: int = 20,
        backoff: Callable[[int], int] = retry_delay,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._inbox = inbox
        self._metrics = metrics
        self._wait_seconds = wait_seconds
        self._backoff = backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start polling in the background."""
        self._thread = threading.Thread(target=self._run, name="opsbot-inbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current poll; unhandled messages simply become visible again."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._wait_seconds + 10)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.poll_once()
                failures = 0
            except (BotoCoreError, ClientError) as exc:
                failures += 1
                log.warning("inbox_poll_failed", error=str(exc), attempt=failures)
                self._stop.wait(min(60, 2**failures))

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many messages arrived."""
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self._wait_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        messages = response.get("Messages", [])
        for message in messages:
            self.process(message)
        return len(messages)

    def process(self, message: dict[str, Any]) -> None:
        """Handle one message and delete it, or leave it for redelivery."""
        receipt = message["ReceiptHandle"]
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            event = parse_message(message.get("Body", ""), message["MessageId"])
        except MalformedMessage as exc:
            # Not deleted: after maxReceiveCount receives the queue's redrive policy moves it to the DLQ.
            self._metrics.inbox_events.labels("unknown", "malformed").inc()
            log.warning(
                "inbox_malformed_message",
                message_id=message["MessageId"],
                problem=str(exc),
                receive_count=receive_count,
            )
            self._sqs.change_message_visibility(QueueUrl=self._queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)
            return
        try:
            self._inbox.handle(event)
        except Exception:
            log.exception(
                "inbox_handler_failed",
                event_id=event.event_id,
                source=event.source,
                detail_type=event.detail_type,
                receive_count=receive_count,
            )
            self._sqs.change_message_visibility(
                QueueUrl=self._queue_url, ReceiptHandle=receipt, VisibilityTimeout=retry_delay(receive_count)
            )
            return
        self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=receipt)
