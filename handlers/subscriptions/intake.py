"""New subscription requests: the policy decides, or a card goes to the publishing project's approvers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
    if not store.claim(domain_id, request_id, view.created_at, view.owner_project_id):
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


def _approvers(deps: Deps, owner_project_id: str) -> str:
    project = deps.access.policy.projects.get(owner_project_id)
    if project is None:
        return "approvers"
    mentions = [f"<@{u}>" for u in project.approvers.users] + [f"<!subteam^{g}>" for g in project.approvers.usergroups]
    return " ".join(mentions) or "approvers"


def follow_up(deps: Deps, store: CardStore, now: datetime) -> dict[str, int]:
    """Remind approvers in the thread of cards waiting too long; tell the admins about those waiting longer."""
    policy = deps.access.policy.subscriptions
    counts = {"reminded": 0, "escalated": 0}
    if policy.remind_after_hours:
        for card in store.waiting(now - timedelta(hours=policy.remind_after_hours), "reminded_at"):
            if store.mark(card.request_id, "reminded_at"):  # one replica, one reminder
                deps.slack.chat_postMessage(
                    channel=card.channel,
                    thread_ts=card.message_ts,
                    text=f":alarm_clock: {_approvers(deps, card.owner_project_id or '')}: this request has waited over "
                    f"{policy.remind_after_hours:g} hours for a decision.",
                )
                counts["reminded"] += 1
    admin_channel = deps.settings.admin_channel
    if policy.escalate_after_hours and admin_channel:
        for card in store.waiting(now - timedelta(hours=policy.escalate_after_hours), "escalated_at"):
            if store.mark(card.request_id, "escalated_at"):
                link = deps.slack.chat_getPermalink(channel=card.channel, message_ts=card.message_ts)["permalink"]
                deps.slack.chat_postMessage(
                    channel=admin_channel,
                    text=f":rotating_light: Subscription request `{card.request_id}` has waited over "
                    f"{policy.escalate_after_hours:g} hours without a decision: {link}",
                )
                counts["escalated"] += 1
    return counts


def sweep(deps: Deps, service: SubscriptionService, store: CardStore, domain_id: str) -> dict[str, int]:
    """Card every pending request events missed (EventBridge delivery is best-effort), then follow up on old ones."""
    outcomes: dict[str, int] = {}
    for summary in service.pending(domain_id, None):
        outcome = intake(deps, service, store, domain_id, summary.request_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    outcomes.update(follow_up(deps, store, datetime.now(UTC)))
    log.info("subscriptions_swept", domain=domain_id, **outcomes)
    return outcomes
