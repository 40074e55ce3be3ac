"""POST /aws/sns: SNS HTTPS deliveries, verified, confirmed, and handed to the inbox."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.inbox.envelope import MalformedMessage, parse_message
from bot.inbox.service import Inbox
from bot.inbox.sns import CertificateCache, SnsRejected, subscribe_url, verify
from bot.metrics import Metrics

log = structlog.get_logger(__name__)


def _confirm(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()


def sns_endpoint(
    inbox: Inbox,
    metrics: Metrics,
    topics: frozenset[str],
    certificates: CertificateCache | None = None,
    confirm: Callable[[str], None] = _confirm,
) -> Callable[[Request], object]:
    """The Starlette endpoint for SNS deliveries to `topics`."""
    certs = certificates or CertificateCache()

    async def receive(request: Request) -> Response:
        try:
            message = json.loads(await request.body())
            if not isinstance(message, dict):
                raise ValueError("not an object")
        except ValueError:
            return JSONResponse({"error": "body is not an SNS message"}, status_code=400)
        try:
            await run_in_threadpool(verify, message, certs, topics)
        except SnsRejected as exc:
            metrics.inbox_events.labels("sns", "refused").inc()
            log.warning("sns_refused", reason=str(exc), topic=str(message.get("TopicArn"))[:256])
            return JSONResponse({"error": "not a verifiable SNS message for this endpoint"}, status_code=401)
        kind = message["Type"]
        if kind == "SubscriptionConfirmation":
            await run_in_threadpool(confirm, subscribe_url(message))
            log.info("sns_subscription_confirmed", topic=message["TopicArn"])
            return JSONResponse({"confirmed": True})
        if kind == "UnsubscribeConfirmation":
            log.warning("sns_unsubscribed", topic=message["TopicArn"])
            return JSONResponse({"ok": True})
        try:
            event = parse_message(json.dumps(message), str(message["MessageId"]))
        except MalformedMessage as exc:
            # A 4xx makes SNS give up on this message and move it to the subscription's DLQ.
            metrics.inbox_events.labels("sns", "malformed").inc()
            log.warning("sns_malformed_message", message_id=message.get("MessageId"), problem=str(exc))
            return JSONResponse({"error": str(exc)}, status_code=400)
        try:
            outcome = await run_in_threadpool(inbox.handle, event)
        except Exception:
            log.exception("sns_handler_failed", event_id=event.event_id)
            return JSONResponse({"error": "handler failed; SNS will retry"}, status_code=500)
        return JSONResponse({"outcome": outcome})

    return receive
