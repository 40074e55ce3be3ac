"""Global middleware: authorisation of the acting user, deny by default, counted in metrics."""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt import BoltResponse
from slack_bolt.request import BoltRequest

from bot.authz import Decision, Kind
from bot.registry import Registry
from bot.replies import CheckedRespond, channel_of, tell_user, user_of
from bot.slack_signature import is_verified

log = structlog.get_logger(__name__)

GROUPS_LOADING = (
    "opsbot could not check Slack user-group membership just now. "
    "If you are in one of the groups this needs, try again in a moment."
)


def request_kind(body: dict[str, Any]) -> tuple[Kind | None, str]:
    """The guard kind and key of a request: ('command', '/cmd sub'), ('action', id), ('view', id)."""
    if "command" in body:
        return "command", str(body.get("command"))
    kind = body.get("type")
    # Entry points validated the shape (bot/payloads.py), so these lookups cannot fail.
    if kind == "block_actions":
        return "action", str(body["actions"][0]["action_id"])
    if kind in ("view_submission", "view_closed"):
        return "view", str(body["view"].get("callback_id", ""))
    return None, str(kind)


def build_middleware(registry: Registry) -> list[Any]:
    """The app's global middleware, in order."""
    kernel = registry.kernel

    def authorize(req: BoltRequest, body: dict[str, Any], context: Any, next: Any) -> BoltResponse | None:
        if not is_verified(context):
            # VerifiedRequests (before Bolt's authorization) marks every request it lets through; an
            # unmarked one got here some other way and is refused before anything reads its body.
            return BoltResponse(status=401, body={"error": "invalid request"})
        # Every listener's `respond` (command handlers get it in their Invocation) is the checked one.
        context["respond"] = CheckedRespond(
            response_url=context.response_url, client=context.client, channel=channel_of(body), user=user_of(body)
        )
        kind, key = request_kind(body)
        if kind is None:
            if body.get("type") in ("shortcut", "message_action", "block_suggestion"):
                # Interactions nothing registered: refuse rather than guess.
                kernel.metrics.slack_requests.labels(str(body.get("type")), "denied").inc()
                return BoltResponse(status=200, body="")
            kernel.metrics.slack_requests.labels("event", "accepted").inc()
            next()
            return None
        if kind == "command":
            router = registry.commands.get(key)
            sub, _ = router.resolve(str(body.get("text", ""))) if router else (None, "")
            key = router.guard_key(sub) if router else key
        rule = registry.guards.rule_for(kind, key)
        user_id = context.user_id or ""
        decision = rule(kernel.access, user_id, body) if rule else Decision(False, "opsbot does not know this action.")
        if decision.allowed:
            kernel.metrics.slack_requests.labels(kind, "accepted").inc()
            next()
            return None
        kernel.metrics.slack_requests.labels(kind, "denied").inc()
        log.info("request_denied", kind=kind, key=key, user=user_id, reason=decision.reason)
        kernel.audit.record(
            actor=user_id, action=key, target=_target(body), result="denied", detail={"reason": decision.reason}
        )
        text = f":no_entry: {decision.reason}"
        if kernel.access.unknown_usergroups():
            # Group membership is loaded off the ack path; until it is, members are refused, not waited for.
            text += f"\n{GROUPS_LOADING}"
        if kind == "command":
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
        if kind == "view" and body.get("type") == "view_submission":
            return BoltResponse(status=200, body={"response_action": "update", "view": _refusal_modal(text)})
        # Acknowledge now; tell the user from a worker so the ack is not delayed by a Web API call.
        kernel.background.submit(tell_user, context.client, body, text)
        return BoltResponse(status=200, body="")

    return [authorize]


def _target(body: dict[str, Any]) -> str:
    """What the refused request was about: the command's text, the button's value or the modal's metadata."""
    if "command" in body:
        return str(body.get("text", ""))
    actions = body.get("actions") or []
    if actions:
        return str(actions[0].get("value") or actions[0].get("block_id") or "")
    return str((body.get("view") or {}).get("private_metadata") or "")


def _refusal_modal(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Not allowed"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }
