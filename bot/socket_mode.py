"""Socket Mode with the same payload shape check as HTTP mode."""

from __future__ import annotations

import time

import structlog
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.metrics import Metrics
from bot.payloads import event_problem, interactive_problem

log = structlog.get_logger(__name__)

_CHECKS = {"interactive": interactive_problem, "events_api": event_problem}


class CheckedSocketModeHandler(SocketModeHandler):
    """Acknowledges and drops malformed envelopes instead of letting Bolt trip on them; acknowledges unhandled ones."""

    def __init__(self, *args: object, metrics: Metrics, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # passed through as the runner gave them
        self._metrics = metrics

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        """Check the envelope, then hand it to Bolt."""
        check = _CHECKS.get(req.type)
        if check is not None:
            problem = check(req.payload)
            if problem is not None:
                self._metrics.slack_requests.labels("malformed", "refused").inc()
                log.warning("malformed_slack_request", problem=problem, envelope_id=req.envelope_id)
                # Acknowledge so Slack does not redeliver what will never parse.
                client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
                return
        started = time.time()
        response = run_bolt_app(self.app, req)
        if response.status == 404:
            # No listener wants it (an event or interaction the app was not built for). Bolt leaves such an
            # envelope unacknowledged, and Slack redelivers it (retry_attempt counts the tries) for nothing.
            log.info("unhandled_slack_envelope", envelope_type=req.type, envelope_id=req.envelope_id)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        send_response(client, req, response, started)
