"""New subscription requests: the policy decides, or a card goes to the publishing project's approvers."""

from __future__ import annotations

import structlog

from bot.deps import Deps
from bot.errors import Conflict
from handlers.subscriptions import blocks
from handlers.subscriptions.service import SubscriptionService
from handlers.subscriptions.store import CardStore

log = structlog.get_logger(__name__)

POLICY_ACTOR = "opsbot-policy"


def channel_for(deps: Deps, owner_project_id: str) -> str | None:
    """The publishing project's channel from the policy, else the admin channel."""
    project = deps.access.policy.projects.get(owner_project_id)
    return (project.channel if project else None) or deps.settings.admin_channel


def intake(deps: Deps, service: SubscriptionService, store: CardStore, domain_id: str, request_id: str) -> str:
    """Handle a request once, whether the event or the sweep brings it; returns what happened."""
    if store.get(request_id) is not None:
        return "already carded"
    view = service.load(domain_id, request_id)
    if view.status != "PENDING":
        return f"already {view.status.lower()}"
    channel = channel_for(deps, view.owner_project_id)
    if channel is None:
        # Not claimed, so the sweep carries it once the policy names a channel.
        log.error("no_channel_for_project", project=view.owner_project_id, request=request_id)
        return "no channel"
    if not store.claim(domain_id, request_id):
        return "already carded"
    route = view.verdict.route
    if route == "review":
        posted = deps.slack.chat_postMessage(
            channel=channel, text=f"Subscription request for {view.asset_name}", blocks=blocks.card(view)
        )
        store.posted(request_id, posted["channel"], posted["ts"])
        return "carded"
    outcome = "auto_approved" if route == "auto_approve" else "denied"
    comment = (
        f"{'Approved automatically' if route == 'auto_approve' else 'Denied'} by opsbot policy: {view.verdict.reason}"
    )
    try:
        (service.accept if route == "auto_approve" else service.reject)(view, comment)
    except Conflict:
        store.finish(request_id, "decided_elsewhere", "datazone")
        return "decided elsewhere"
    store.finish(request_id, outcome, POLICY_ACTOR)
    deps.audit.record(
        actor=POLICY_ACTOR,
        action=f"subscriptions.{outcome}",
        target=request_id,
        result="ok",
        detail={"asset": view.asset_name, "reason": view.verdict.reason},
    )
    if deps.access.policy.subscriptions.auto_approval_notice == "compact":
        deps.slack.chat_postMessage(channel=channel, text=blocks.notice(view, outcome))
    return outcome


def sweep(deps: Deps, service: SubscriptionService, store: CardStore, domain_id: str) -> dict[str, int]:
    """Card every pending request events missed (EventBridge delivery is best-effort); counts by outcome."""
    outcomes: dict[str, int] = {}
    for summary in service.pending(domain_id, None):
        outcome = intake(deps, service, store, domain_id, summary.request_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    log.info("subscriptions_swept", domain=domain_id, **outcomes)
    return outcomes
