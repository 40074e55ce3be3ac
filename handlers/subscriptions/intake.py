"""New subscription requests: the policy decides, or a card goes to the publishing project's approvers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from bot.errors import Conflict
from bot.outbox import message
from bot.policy import ONE_STEP
from bot.wording import noun
from handlers.subscriptions import blocks, messages
from handlers.subscriptions.chains import Chain, chain_of, mentions, progress, step_name
from handlers.subscriptions.decisions import show_outcome_from_datazone
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.store import IN_FLIGHT, RequestCard

log = structlog.get_logger(__name__)

POLICY_ACTOR = "opsbot-policy"
# A decision in flight longer than this lost its replica: the sweep settles it from DataZone.
STUCK_DECISION = timedelta(minutes=10)


def intake(flows: Subscriptions, domain_id: str, request_id: str) -> str:
    """Handle a request once, whether the event or the sweep brings it; returns what happened."""
    service, store = flows.requests, flows.cards
    if store.get(request_id) is not None:
        return "already carded"
    view = service.load(domain_id, request_id)
    if view.status != "PENDING":
        return f"already {view.status.lower()}"
    channel = flows.channel_for(view.owner_project_id)
    if channel is None:
        # Not claimed, so the sweep carries it once the policy names a channel.
        log.error("no_channel_for_project", project=view.owner_project_id, request=request_id)
        return "no channel"
    route = view.verdict.route
    if route == "review":
        steps = flows.access.policy.subscriptions.steps_for(view.verdict.classification)
        first = progress(Chain(steps, (), view.owner_project_id), flows.access)
        # The claim and the card's outbox message commit together: a Slack outage delays the card, never loses it.
        carded = store.claim(
            domain_id,
            request_id,
            view.created_at,
            view.owner_project_id,
            classification=view.verdict.classification or "",
            channel=channel,
            then=lambda session: messages.post_card(
                flows.messages,
                session,
                channel,
                request_id,
                f"Subscription request for {view.asset_name}",
                blocks.card(view, steps=first, step=0 if first else None),
            ),
        )
        return "carded" if carded else "already carded"
    classification = view.verdict.classification or ""
    if not store.claim(domain_id, request_id, view.created_at, view.owner_project_id, classification=classification):
        return "already carded"
    outcome = "auto_approved" if route == "auto_approve" else "denied"
    comment = (
        f"{'Approved automatically' if route == 'auto_approve' else 'Denied'} by opsbot policy: {view.verdict.reason}"
    )
    try:
        (service.accept if route == "auto_approve" else service.reject)(view, comment)
    except Conflict:
        store.finish(request_id, "decided_elsewhere", "datazone")
        return "decided elsewhere"
    with flows.db.session() as session:
        store.finish(request_id, outcome, POLICY_ACTOR, session)
        if flows.access.policy.subscriptions.auto_approval_notice == "compact":
            notice = message.post(channel, blocks.notice(view, outcome), key=f"subscriptions.notice:{request_id}")
            flows.messages.send(notice, session)
    flows.audit.record(
        actor=POLICY_ACTOR,
        action=f"subscriptions.{outcome}",
        target=request_id,
        result="ok",
        detail={"asset": view.asset_name, "reason": view.verdict.reason},
    )
    return outcome


def _waiting_on(flows: Subscriptions, card: RequestCard) -> tuple[str, str]:
    """Whom a waiting card waits on (mentions) and, in an approval chain, which step (" for step 2 of 2 (…)")."""
    owner = card.owner_project_id or ""
    project_approvers = mentions(flows.access, ONE_STEP[0], owner)
    try:
        view = flows.requests.load(card.domain_id, card.request_id)
    except Exception:  # DataZone unreadable now: the project's approvers still hear of it
        log.exception("subscription_follow_up_unreadable", request=card.request_id)
        return project_approvers, ""
    chain = chain_of(flows.access, flows.cards, card.request_id, view.verdict.classification, view.owner_project_id)
    if not chain.is_chain:
        return project_approvers, ""
    step = chain.steps[chain.current]
    return mentions(flows.access, step, view.owner_project_id), f" at {step_name(chain, chain.current, flows.access)}"


def approvers_of(flows: Subscriptions, owner_project_id: str) -> str:
    """The project's approvers as mentions (users and user groups), for a card or a reminder that asks them."""
    return mentions(flows.access, ONE_STEP[0], owner_project_id)


def follow_up(flows: Subscriptions, now: datetime) -> dict[str, int]:
    """Remind approvers in the thread of cards waiting too long; tell the admins about those waiting longer."""
    store, policy = flows.cards, flows.access.policy.subscriptions
    counts = {"reminded": 0, "escalated": 0}
    if policy.remind_after_hours:
        for card in store.waiting(now - timedelta(hours=policy.remind_after_hours), "reminded_at"):
            # Each step of a chain waits on its own approvers, measured from when it began.
            whom, at_step = _waiting_on(flows, card)
            text = (
                f":alarm_clock: {whom}: this request has waited over "
                f"{policy.remind_after_hours:g} {noun(policy.remind_after_hours, 'hour')} for a decision{at_step}."
            )
            with flows.db.session() as session:
                if store.mark(card.request_id, "reminded_at", card.step, session):  # one replica, one reminder
                    key = f"subscriptions.reminder:{card.request_id}" + (f":{card.step}" if card.step else "")
                    messages.in_thread(flows.messages, session, card, text, key)
                    counts["reminded"] += 1
    admin_channel = flows.admin_channel
    if policy.escalate_after_hours and admin_channel:
        for card in store.waiting(now - timedelta(hours=policy.escalate_after_hours), "escalated_at"):
            # A read, asked before anything is marked: if Slack is away, the next sweep escalates instead.
            link = flows.permalink(card.channel, card.message_ts)
            whom, at_step = _waiting_on(flows, card)
            waits = f" (waiting on {whom}{at_step})" if at_step else ""
            text = (
                f":rotating_light: Subscription request `{card.request_id}`{waits} has waited over "
                f"{policy.escalate_after_hours:g} {noun(policy.escalate_after_hours, 'hour')} without a decision: "
                f"{link}"
            )
            with flows.db.session() as session:
                if store.mark(card.request_id, "escalated_at", card.step, session):
                    key = f"subscriptions.escalation:{card.request_id}" + (f":{card.step}" if card.step else "")
                    flows.messages.send(message.post(admin_channel, text, key=key), session)
                    counts["escalated"] += 1
    return counts


def reconcile(flows: Subscriptions, domain_id: str, still_pending: set[str]) -> dict[str, int]:
    """Cards still pending here that DataZone has decided (an event lost): update the card, tell the requester.

    Only cards missing from DataZone's PENDING listing (`still_pending`) are looked up, one call each.
    A decision whose replica died before DataZone heard of it goes back to pending, so someone can decide.
    """
    store = flows.cards
    counts = {"reconciled": 0, "reopened": 0}
    for card in store.undecided(domain_id, datetime.now(UTC) - STUCK_DECISION):
        if card.request_id in still_pending:
            if card.status in IN_FLIGHT:
                store.abandon_decision(card.request_id)
                counts["reopened"] += 1
            continue
        try:
            if show_outcome_from_datazone(flows, domain_id, card.request_id):
                counts["reconciled"] += 1
        except Exception:  # one unreadable request must not stop the others
            log.exception("subscription_reconcile_failed", request=card.request_id)
    return counts


def sweep(flows: Subscriptions, domain_id: str) -> dict[str, int]:
    """Card every pending request events missed (EventBridge delivery is best-effort), settle cards DataZone
    decided without an event reaching us, then follow up on old ones."""
    outcomes: dict[str, int] = {}
    pending = flows.requests.pending(domain_id, None)
    for summary in pending:
        outcome = intake(flows, domain_id, summary.request_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    outcomes.update(reconcile(flows, domain_id, {s.request_id for s in pending}))
    outcomes.update(follow_up(flows, datetime.now(UTC)))
    log.info("subscriptions_swept", domain=domain_id, **outcomes)
    return outcomes
