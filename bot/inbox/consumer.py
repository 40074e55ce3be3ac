"""Long-polls the events queue: a message is deleted only once handled; poison ones reach the DLQ by redrive."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

import structlog

from bot.health import PollLiveness, poll_bound
from bot.inbox.envelope import MalformedMessage, parse_message
from bot.inbox.service import Inbox
from bot.inbox.supervisor import Supervised
from bot.metrics import Metrics

log = structlog.get_logger(__name__)

# SQS's own ceiling for a visibility timeout is 12 hours; a failing handler backs off well below it.
MAX_RETRY_DELAY = 900
MAX_POLL_BACKOFF = 60

Outcome = Literal["handled", "malformed", "failed"]


def retry_delay(receive_count: int) -> int:
    """Seconds before a failed message is seen again: 5, 10, 20, ... capped."""
    return int(min(MAX_RETRY_DELAY, 5 * 2 ** max(0, receive_count - 1)))


def _receive_count(message: dict[str, Any]) -> int:
    try:
        return max(1, int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1")))
    except (TypeError, ValueError, AttributeError):
        return 1


class SqsConsumer:
    """A supervised background thread that receives, handles and deletes messages from one queue."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        inbox: Inbox,
        metrics: Metrics,
        *,
        wait_seconds: int = 20,
        backoff: Callable[[int], int] = retry_delay,
        liveness: PollLiveness | None = None,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._inbox = inbox
        self._metrics = metrics
        self._wait_seconds = wait_seconds
        self._backoff = backoff
        self.liveness = liveness or PollLiveness(poll_bound(wait_seconds))
        self._supervised = Supervised("opsbot-inbox", self._run)

    def start(self) -> None:
        """Start polling in the background; the loop is restarted with backoff if it ever ends."""
        self.liveness.started()
        self._supervised.start()

    def stop(self) -> None:
        """Stop after the current poll; unhandled messages simply become visible again."""
        self.liveness.stopped()
        self._supervised.stop(self._wait_seconds + 10)

    @property
    def restarts(self) -> int:
        """How often the supervisor had to start the loop again."""
        return self._supervised.restarts

    def _run(self, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                self.poll_once()
                failures = 0
            except Exception as exc:
                # SQS unreachable, throttled, the queue gone, credentials expired: wait and try again.
                failures += 1
                log.warning("inbox_poll_failed", error=f"{type(exc).__name__}: {exc}"[:500], attempt=failures)
                stop.wait(min(MAX_POLL_BACKOFF, 2**failures))

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many messages arrived."""
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self._wait_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        self.liveness.beat()
        messages = response.get("Messages", [])
        for message in messages:
            self.process(message)
            self.liveness.beat()
        return len(messages)

    def process(self, message: dict[str, Any]) -> Outcome:
        """Handle one message and delete it, or leave it for redelivery; never raises."""
        message_id = str(message.get("MessageId", ""))
        receive_count = _receive_count(message)
        try:
            outcome = self._handle(message, message_id, receive_count)
        except Exception:
            # Whatever went wrong with this one message, it is not handled: it comes back after the
            # backoff and, after the redrive policy's maxReceiveCount, lands in the DLQ.
            log.exception("inbox_message_failed", message_id=message_id, receive_count=receive_count)
            self._metrics.inbox_events.labels("unknown", "failed").inc()
            outcome = "failed"
        receipt = message.get("ReceiptHandle")
        if not receipt:
            return outcome
        try:
            if outcome == "handled":
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=receipt)
            else:
                # A malformed body will never parse: make it visible at once so it reaches the DLQ quickly.
                delay = 0 if outcome == "malformed" else self._backoff(receive_count)
                self._sqs.change_message_visibility(
                    QueueUrl=self._queue_url, ReceiptHandle=receipt, VisibilityTimeout=delay
                )
        except Exception as exc:
            # The message keeps its visibility timeout and comes back; handling is idempotent by event id.
            log.warning("inbox_settle_failed", outcome=outcome, error=f"{type(exc).__name__}: {exc}"[:300])
        return outcome

    def _handle(self, message: dict[str, Any], message_id: str, receive_count: int) -> Outcome:
        try:
            event = parse_message(message.get("Body", ""), message_id)
        except MalformedMessage as exc:
            self._metrics.inbox_events.labels("unknown", "malformed").inc()
            log.warning("inbox_malformed_message", message_id=message_id, problem=str(exc), receive_count=receive_count)
            return "malformed"
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
            return "failed"
        return "handled"
