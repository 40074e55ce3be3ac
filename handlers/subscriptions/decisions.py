"""Approve and reject from Slack: one decision per request, recorded in DataZone, the card and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.errors import BadInput, Conflict
from bot.wording import SLACK_USER, count, mention, when
from handlers.subscriptions import blocks, expiry, ids, messages
from handlers.subscriptions.authority import hears_outcome, may_decide
from handlers.subscriptions.chains import Chain, chain_of, history, mentions, progress, step_name
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.scopes import names_of, scope_text
from handlers.subscriptions.service import RequestView, SubscriptionService
from handlers.subscriptions.store import APPROVING, IN_FLIGHT, PENDING, REJECTING, RequestCard, StepApproval

Tell = Callable[[str], None]
"""Tells the deciding user something privately."""

# How each recorded state reads to someone who lost the race to decide.
_WAY = {
    APPROVING: "is approving this request right now",
    REJECTING: "is rejecting this request right now",
    "deciding": "is deciding this request right now",
    "accepted": "already approved this request",
    "rejected": "already rejected this request",
}
# Decided by opsbot's policy: nobody to name, the policy is the decider.
_BY_POLICY = {
    "auto_approved": "opsbot's policy already approved this request automatically",
    "denied": "opsbot's policy already denied this request",
}


@dataclass(frozen=True)
class Decision:
    """What an approver decided: approve or reject, their comment or reason, and for how long access lasts."""

    approve: bool
    text: str
    days: int | None = None
    # The asset filters an approval grants, by id; none grants the whole asset.
    filter_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decider:
    """The Slack user deciding."""

    user_id: str
    name: str


def _card_names_winner(card: RequestCard | None) -> bool:
    # The card names the winner itself when a Slack user or the policy decided; otherwise DataZone knows.
    if card is None:
        return False
    return card.status in _BY_POLICY or (card.status in _WAY and bool(SLACK_USER.match(card.decided_by or "")))


def winner_of(card: RequestCard | None, in_datazone: str | None = None) -> str:
    """What the loser of a race is told: who holds the decision and which way it goes.

    `in_datazone` is DataZone's own account ("rejected in DataZone by <@U…>"), for a request the card cannot
    name the winner of (decided in the portal, or by someone the policy maps to no Slack user)."""
    if card is not None and card.status in _BY_POLICY:
        return f":information_source: {_BY_POLICY[card.status]}."
    if card is None or not _card_names_winner(card):
        said = in_datazone or "decided by someone else"
        return f":information_source: This request was already {said}."
    when_ = f" (at {when(card.decided_at)})" if card.decided_at and card.status not in (APPROVING, REJECTING) else ""
    by = mention(card.decided_by, card.decided_by or "someone else")
    return f":information_source: {by} {_WAY[card.status]}{when_}."


def decide(flows: Subscriptions, ref: ids.RequestRef, decider: Decider, decision: Decision, tell: Tell) -> None:
    """Decide the request for `decider`; the first decision wins and later ones are told who made it, which way."""
    service, store = flows.requests, flows.cards
    view = service.load(ref.domain, ref.request)
    chain = chain_of(flows.access, store, ref.request, view.verdict.classification, view.owner_project_id)
    if ref.step is not None and ref.step != chain.position and chain.approved:
        tell(_step_taken(flows, ref, view))  # decided on a step someone else approved meanwhile
        return
    record = store.get(ref.request)
    if record is not None and record.status != PENDING and hears_outcome(flows.access, decider.user_id, chain):
        # Decided here, or being decided: told who and which way, and nothing more (were that decision abandoned
        # meanwhile, a click that went on could decide a step this approver does not hold).
        tell(_step_taken(flows, ref, view))
        return
    may_decide(
        flows.access,
        flows.audit,
        decider.user_id,
        view.owner_project_id,
        view.request_id,
        view.requester_slack,
        chain,
        settled=view.status != "PENDING",
    )
    if view.status != "PENDING" and store.get(ref.request) is None:
        raise Conflict(f"This request was already {decided_in_datazone(service, view)}.")
    if decision.approve and not chain.at_last_step:
        approve_step(flows, ref, view, chain, decider, decision, tell)
        return
    scope = granted_scope(flows, view, decision.filter_ids) if decision.approve else ()
    days = expiry.days_for(flows.access.policy.subscriptions, decision.days) if decision.approve else None
    if days and not flows.jobs.available:
        raise BadInput("This opsbot process runs no scheduler, so it cannot approve for a limited time.")
    # Decided by command before any card was posted.
    store.claim(
        ref.domain,
        ref.request,
        view.created_at,
        view.owner_project_id,
        classification=view.verdict.classification or "",
    )
    if not store.start_decision(ref.request, decider.user_id, decision.approve, chain.position):
        # The claim carries the winner and the way: read it after losing (DataZone's record when decided there).
        won = store.get(ref.request)
        if won is not None and won.status == PENDING:
            tell(_step_taken(flows, ref, view))  # someone approved the step first; the request moved on
        elif _card_names_winner(won):
            tell(winner_of(won))
        else:
            tell(winner_of(won, decided_in_datazone(service, service.load(ref.domain, ref.request))))
        return
    verb = "Approved" if decision.approve else "Rejected"
    comment = f"{verb} in Slack by {decider.name} ({decider.user_id})"
    comment += f" for {count(days, 'day')}" if days else ""
    comment += f": {decision.text}" if decision.text else ""
    # DataZone's record names the whole chain: who approved the steps before this one.
    comment += f" (after {history(chain, flows.access)})" if chain.approved else ""
    try:
        if decision.approve:
            service.accept(view, comment, decider.user_id, decision.filter_ids)
        else:
            service.reject(view, comment, decider.user_id)
    except Conflict as conflict:
        shown = show_outcome_from_datazone(flows, ref.domain, ref.request)
        tell(f":information_source: {shown or conflict.message}")
        return
    except Exception:
        store.abandon_decision(ref.request)  # the next click may succeed (throttling, a network blip)
        raise
    outcome = "accepted" if decision.approve else "rejected"
    try:
        until = expiry.start(flows, view, days) if days else None
    except Exception:
        # DataZone has the decision; back to pending here, so the sweep settles the card from DataZone.
        store.abandon_decision(ref.request)
        raise
    ends = f"Access ends {until:%Y-%m-%d %H:%M} UTC." if until else ""
    note = "\n".join(part for part in (decision.text, ends) if part)
    card = store.get(ref.request)
    granted = f" ({scope_text(scope)})" if decision.approve else ""
    text = f"Your request for *{view.asset_name}* was {outcome} by <@{decider.user_id}>{granted}." + (
        f"\n{note}" if note else ""
    )
    steps = progress(chain, flows.access, waiting=False)
    if steps and not decision.approve:
        steps.append(f":no_entry_sign: S{step_name(chain, chain.current, flows.access)[1:]}: rejected")
    new_face = blocks.decided_card(view, outcome, f"<@{decider.user_id}>", note, scope=scope, steps=steps)
    # The outcome, the card's new face and the requester's word commit together; the outbox delivers both.
    with flows.db.session() as session:
        store.finish(ref.request, outcome, decider.user_id, session)
        _announce(flows, session, view, card, new_face, text)
    flows.audit.record(
        actor=decider.user_id,
        action=f"subscriptions.{'approve' if decision.approve else 'reject'}",
        target=ref.request,
        result="ok",
        detail={
            "asset": view.asset_name,
            "comment": decision.text,
            "days": days,
            "scope": list(scope),
            "step": chain.current + 1,
            "of": len(chain.steps),
        },
    )


def approve_step(
    flows: Subscriptions,
    ref: ids.RequestRef,
    view: RequestView,
    chain: Chain,
    decider: Decider,
    decision: Decision,
    tell: Tell,
) -> None:
    """Approve a step before the last: no DataZone call; the card shows the step done and pings the next step's
    approvers in its thread, in the step's own transaction. The first approval of a step wins."""
    store, access = flows.cards, flows.access
    name = step_name(chain, chain.current, access)
    next_name = step_name(chain, chain.current + 1, access)
    if decision.filter_ids or decision.days:
        raise BadInput(
            f"You approve {name}: the last step grants the access and chooses how long and which filters, "
            "so approve this one without a duration or filters."
        )
    if view.status != "PENDING":
        # Decided in DataZone mid-chain: the chain ends, the card says so.
        shown = show_outcome_from_datazone(flows, ref.domain, ref.request)
        tell(f":information_source: {shown or 'This request was already ' + decided_in_datazone(flows.requests, view)}")
        return
    if store.get(ref.request) is None:
        # Typed before any card was posted: the chain goes on, so post its card now (the next step's ping is a
        # reply to it), with the claim, as intake would have.
        channel = flows.channel_for(view.owner_project_id)

        def post(session: Session) -> None:
            if channel is not None:
                face = blocks.card(view, steps=progress(chain, access), step=chain.position)
                title = f"Subscription request for {view.asset_name}"
                messages.post_card(flows.messages, session, channel, ref.request, title, face)

        classification = view.verdict.classification or ""
        store.claim(
            ref.domain,
            ref.request,
            view.created_at,
            view.owner_project_id,
            classification=classification,
            channel=channel,
            then=post,
        )
    card = store.get(ref.request)
    row = StepApproval(
        request_id=ref.request,
        step=chain.current,
        approved_by=decider.user_id,
        approved_at=datetime.now(UTC),
        comment=decision.text or None,
    )
    moved = Chain(chain.steps, (*chain.approved, row), chain.owner_project_id)
    said = f": {decision.text}" if decision.text else ""
    ping = (
        f":point_right: {mentions(access, moved.steps[moved.current], view.owner_project_id)}: {next_name} of this "
        f"request waits for you; <@{decider.user_id}> approved {name}{said}."
    )

    def show(session: Session) -> None:
        face = blocks.card(view, steps=progress(moved, access), step=moved.position)
        key = f"subscriptions.step:{ref.request}:{chain.current}"
        messages.update_card(flows.messages, session, card, f"Subscription request: {next_name} waits", face, key)
        messages.in_thread(
            flows.messages, session, card, ping, f"subscriptions.step_ping:{ref.request}:{chain.current}"
        )

    if not store.approve_step(ref.request, chain.current, decider.user_id, decision.text, then=show):
        tell(_step_taken(flows, ref, view))
        return
    tell(f":white_check_mark: You approved {name} of the request for *{view.asset_name}*; {next_name} decides next.")
    flows.audit.record(
        actor=decider.user_id,
        action="subscriptions.approve_step",
        target=ref.request,
        result="ok",
        detail={"asset": view.asset_name, "comment": decision.text, "step": chain.current + 1, "of": len(chain.steps)},
    )


def _step_taken(flows: Subscriptions, ref: ids.RequestRef, view: RequestView) -> str:
    """What the loser of a race within a step is told: who holds the request now, as its record says."""
    won = flows.cards.get(ref.request)
    if won is not None and won.status != PENDING:
        if _card_names_winner(won):
            return winner_of(won)
        return winner_of(won, decided_in_datazone(flows.requests, flows.requests.load(ref.domain, ref.request)))
    chain = chain_of(flows.access, flows.cards, ref.request, view.verdict.classification, view.owner_project_id)
    if not chain.approved:
        return ":information_source: Someone else is deciding this request right now."
    last = chain.approved[-1]
    return (
        f":information_source: <@{last.approved_by}> already approved {step_name(chain, last.step, flows.access)} "
        f"(at {when(last.approved_at)}); the request waits for {step_name(chain, chain.current, flows.access)} now."
    )


def granted_scope(flows: Subscriptions, view: RequestView, filter_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The names of the filters an approval grants, checked: each is one of the asset's, and the policy's
    `require_scope` for the request's classification is met; BadInput otherwise, before anything is decided."""
    policy = flows.access.policy.subscriptions
    required = policy.requires_scope(view.verdict.classification)
    if not filter_ids and not required:
        return ()
    filters = flows.requests.filters(view.domain_id, view.asset_id)
    offered = ", ".join(f"`{f.name}`" for f in filters)
    if not filter_ids:
        choose = f"choose at least one of its filters: {offered}" if filters else "it has no filters to choose from"
        raise BadInput(
            f"The policy grants {view.verdict.classification} data only through chosen asset filters, so "
            f"*{view.asset_name}* cannot be approved whole: {choose}."
        )
    known = {f.filter_id for f in filters}
    if any(fid not in known for fid in filter_ids):
        raise BadInput(f"A chosen filter is no longer on *{view.asset_name}*; its filters now: {offered or 'none'}.")
    return names_of(filters, filter_ids)


def _announce(
    flows: Subscriptions,
    session: Session,
    view: RequestView,
    card: RequestCard | None,
    new_blocks: list[Any],
    text: str,
) -> None:
    # Keyed by request: whichever of the decision, the event and the sweep says it first, it is said once.
    request = view.request_id
    messages.update_card(
        flows.messages, session, card, "Subscription request decided", new_blocks, f"subscriptions.decided:{request}"
    )
    messages.tell_requester(
        flows.messages, session, view.requester_slack, view.requester, card, text, f"subscriptions.told:{request}"
    )


def show_outcome_from_datazone(flows: Subscriptions, domain_id: str, request_id: str) -> str | None:
    """The request was decided outside Slack (portal, API, a lost event): show DataZone's outcome on the card and
    tell the requester, once; returns what was shown, or None if there was nothing to settle."""
    service, store = flows.requests, flows.cards
    current = service.load(domain_id, request_id)
    if current.status == "PENDING":
        return None
    name, slack_user = service.person(domain_id, current.reviewer)
    by = f"<@{slack_user}>" if slack_user else (name or "someone in DataZone")
    outcome = current.status.lower()
    card = store.get(request_id)
    granted = f" ({scope_text(current.scope)})" if outcome == "accepted" else ""
    text = f"Your request for *{current.asset_name}* was {outcome} by {by}{granted}." + (
        f"\n{current.decision_comment}" if current.decision_comment else ""
    )
    chain = chain_of(flows.access, store, request_id, current.verdict.classification, current.owner_project_id)
    # A chain DataZone decided part-way: the card says the chain ended, and where.
    ended = None
    if chain.is_chain:
        before = f"{history(chain, flows.access)}; then " if chain.approved else ""
        where = step_name(chain, chain.current, flows.access)
        ended = f"The approval chain ended at {where}: {before}{outcome} in DataZone by {by}."
    with flows.db.session() as session:
        # Only from pending (or a decision whose replica died): the event and the sweep settle a card once.
        if not store.finish(
            request_id, outcome, slack_user or current.reviewer or "datazone", session, only_from=(PENDING, *IN_FLIGHT)
        ):
            return None
        new_blocks = blocks.decided_card(
            current,
            outcome,
            by,
            current.decision_comment,
            current.decided_at,
            steps=[*progress(chain, flows.access, waiting=False), *([f":warning: {ended}"] if ended else [])],
        )
        _announce(flows, session, current, card, new_blocks, text)
    return f"This request was already {outcome} in DataZone by {by}."


def decided_in_datazone(service: SubscriptionService, view: RequestView) -> str:
    """ "rejected in DataZone by <@U…>": which way and who, the reviewer named as the policy's people map allows."""
    outcome = "decided" if view.status == "PENDING" else view.status.lower()
    return f"{outcome} in DataZone by {service.reviewer(view.domain_id, view.reviewer)}"
