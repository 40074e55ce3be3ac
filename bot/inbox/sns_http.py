"""POST /aws/sns: SNS HTTPS deliveries, verified, confirmed, and handed to the inbox."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.bounded_body import read_body
from bot.bounded_json import UnreadableJson, loads_bounded
from bot.inbox.envelope import MalformedMessage, parse_message
from bot.inbox.service import Inbox
from bot.inbox.sns import CertificateCache, SnsRejected, envelope_problem, subscribe_url, verify
from bot.metrics import Metrics

log = structlog.get_logger(__name__)

# SNS messages are at most 256 KiB (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). Escaped
# inside the JSON envelope a message can grow several times (quotes double, control characters become
# \uXXXX), so 1 MiB takes any real delivery and refuses floods before they are buffered.
MAX_BODY_BYTES = 1024 * 1024
# The envelope is flat: string fields, and MessageAttributes whose values are {"Type", "Value"} objects.
MAX_JSON_DEPTH = 8


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
        # Bounded before anything reads it: size, then JSON depth, then field types; then the signature.
        body = await read_body(request, MAX_BODY_BYTES)
        if body is None:
            metrics.inbox_events.labels("sns", "refused").inc()
            log.warning("sns_too_large", content_length=request.headers.get("content-length"))
            return JSONResponse({"error": "body too large for an SNS message"}, status_code=413)
        try:
            message = loads_bounded(body, max_bytes=MAX_BODY_BYTES, max_depth=MAX_JSON_DEPTH)
        except UnreadableJson as exc:
            problem: str | None = str(exc)
        else:
            problem = envelope_problem(message)
        if problem is not None:
            metrics.inbox_events.labels("sns", "refused").inc()
            log.warning("sns_not_an_sns_message", problem=problem)
            return JSONResponse({"error": "body is not an SNS message"}, status_code=400)
        try:
            await run_in_threadpool(verify, message, certs, topics)
        except SnsRejected as exc:
            metrics.inbox_events.labels("sns", "refused").inc()
            log.warning("sns_refused", reason=str(exc), topic=message["TopicArn"][:256])
            return JSONResponse({"error": "not a verifiable SNS message for this endpoint"}, status_code=401)
        kind = message["Type"]
        if kind == "SubscriptionConfirmation":
            try:
                await run_in_threadpool(confirm, subscribe_url(message))
            except SnsRejected as exc:
                log.warning("sns_refused", reason=str(exc), topic=message["TopicArn"][:256])
                return JSONResponse({"error": "not a verifiable SNS message for this endpoint"}, status_code=401)
            except OSError as exc:
                log.warning("sns_confirmation_failed", topic=message["TopicArn"], error=str(exc))
                return JSONResponse({"error": "could not confirm the subscription"}, status_code=502)
            log.info("sns_subscription_confirmed", topic=message["TopicArn"])
            return JSONResponse({"confirmed": True})
        if kind == "UnsubscribeConfirmation":
            log.warning("sns_unsubscribed", topic=message["TopicArn"])
            return JSONResponse({"ok": True})
        try:
            event = parse_message(json.dumps(message), message.get("MessageId", ""))
        except (MalformedMessage, ValueError, RecursionError) as exc:
            # The envelope parser's json.loads lets through digit-limit ValueErrors and, for a Message nested
            # past Python's limit, RecursionError: still a malformed message, not our failure.
            # A 4xx makes SNS give up on this message and move it to the subscription's DLQ.
            metrics.inbox_events.labels("sns", "malformed").inc()
            log.warning("sns_malformed_message", message_id=message.get("MessageId"), problem=str(exc)[:300])
            return JSONResponse({"error": str(exc)[:300]}, status_code=400)
        try:
            outcome = await run_in_threadpool(inbox.handle, event)
        except Exception:
            log.exception("sns_handler_failed", event_id=event.event_id)
            return JSONResponse({"error": "handler failed; SNS will retry"}, status_code=500)
        return JSONResponse({"outcome": outcome})

    return receive
