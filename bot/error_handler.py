"""The one error handler: a short, private answer for the user, the traceback for the logs."""

from __future__ import annotations

from typing import Any

import structlog
from slack_sdk import WebClient

from bot.errors import OpsbotError, new_error_id
from bot.metrics import Metrics
from bot.replies import tell_user

log = structlog.get_logger(__name__)


def build_error_handler(metrics: Metrics) -> Any:
    """An `app.error` handler bound to the app's metrics."""

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
