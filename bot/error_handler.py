"""The one error handler: a short, private answer for the user, the traceback for the logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from slack_bolt import BoltResponse
from slack_sdk import WebClient

from bot.commands import ErrorReporter
from bot.errors import OpsbotError, new_error_id
from bot.metrics import Metrics
from bot.replies import tell_user
from bot.slack_signature import is_verified

log = structlog.get_logger(__name__)


def build_error_handler(metrics: Metrics) -> ErrorReporter:
    """The reporter for errors in listeners' work after ack(), bound to the app's metrics.

    Listeners only run for requests `bot.slack_signature.VerifiedRequests` let through, so the body it
    replies to is Slack's own.
    """

    def handle_error(error: Exception, body: dict[str, Any], client: WebClient) -> None:
        if isinstance(error, OpsbotError):
            log.info("user_error", error=error.message, kind=type(error).__name__)
            tell_user(client, body, f":warning: {error.message}")
            return
        error_id = new_error_id()
        metrics.listener_errors.inc()
        log.error("listener_failed", error_id=error_id, exc_info=error)
        tell_user(
            client,
            body,
            f":x: Something went wrong on opsbot's side (error id `{error_id}`). "
            "Try again; if it keeps failing, give that id to the opsbot admins.",
        )

    return handle_error


def bolt_error_handler(report: ErrorReporter) -> Callable[..., BoltResponse | None]:
    """The `app.error` handler: replies only to requests our own check marked verified.

    Bolt calls it for failures anywhere in dispatch, including inside its own signature check (a
    non-numeric timestamp makes slack_sdk raise there), before anything proved the body is Slack's. Such
    a request gets 401 and a log line; its response_url, channel and user are never used.
    """

    def handle(error: Exception, body: dict[str, Any], client: WebClient, context: Any) -> BoltResponse | None:
        if not is_verified(context):
            log.warning("unverified_request_failed", error=type(error).__name__)
            return BoltResponse(status=401, body={"error": "invalid request"})
        report(error, body, client)
        return None

    return handle
