"""Approve and reject from Slack: one decision per request, recorded in DataZone, the card and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.errors import BadInput, Conflict, NotAllowed
from handlers.subscriptions import blocks, expiry, ids
from handlers.subscriptions.policy import self_approval
from handlers.subscriptions.service import RequestView, SubscriptionService
from handlers.subscriptions.store import CardStore, RequestCard

Tell = Callable[[str], None]
"""Tells the deciding user something privately."""


@dataclass(frozen=True)
class Decision:
    """What an approver decided: approve or reject, their comment or reason, and for how long access lasts."""

    approve: bool
    text: str
    days: int | None = None


@dataclass(frozen=True)
class Decider:
    """The Slack user deciding."""

    user_id: str
    name: str


def refuse_self_approval(deps: Deps, view: RequestView, user_id: str) -> None:
    """Raise NotAllowed (and audit it) when the person deciding is the one who asked."""
    if self_approval(user_id, view.requester_slack):
        deps.audit.record(
            actor=user_id, action="subscriptions.decide", target=view.request_id, result="denied", detail="self"
        )
        raise NotAllowed("You asked for this access yourself, so another approver has to decide it.")


def decide(
    deps: Deps,
    service: SubscriptionService,
    store: CardStore,
    ref: ids.RequestRef,
    decider: Decider,
    decision: Decision,
    tell: Tell,
) -> None:
    """Decide the request for `decider`; the first decision wins and later ones are told who made it."""
    view = service.load(ref.domain, ref.request)
    refuse_self_approval(deps, view, decider.user_id)
    service.check_can_decide(decider.user_id)
    if view.status != "PENDING" and store.get(ref.request) is None:
        raise Conflict(f"This request was already {view.status.lower()} in DataZone.")
    days = expiry.days_for(deps.access.policy.subscriptions, decision.days) if decision.approve else None
    if days and not deps.jobs.available:
        raise BadInput("This opsbot process runs no scheduler, so it cannot approve for a limited time.")
    store.claim(
        ref.domain, ref.request, view.created_at, view.owner_project_id
    )  # decided by command before any card was posted
    card = store.get(ref.request)
    if not store.start_decision(ref.request, decider.user_id):
        decided_by = f"<@{card.decided_by}>" if card and card.decided_by else "someone else"
        tell(f":information_source: {decided_by} already decided this request.")
        return
    verb = "Approved" if decision.approve else "Rejected"
    comment = f"{verb} in Slack by {decider.name} ({decider.user_id})"
    comment += f" for {days} days" if days else ""
    comment += f": {decision.text}" if decision.text else ""
    try:
        (service.accept if decision.approve else service.reject)(view, comment, decider.user_id)
    except Conflict as conflict:
        show_outcome_from_datazone(service, store, deps.slack, ref.domain, ref.request)
        tell(f":information_source: {conflict.message}")
        return
    except Exception:
        store.abandon_decision(ref.request)  # the next click may succeed (throttling, a network blip)
        raise
    outcome = "accepted" if decision.approve else "rejected"
    store.finish(ref.request, outcome, decider.user_id)
    deps.audit.record(
        actor=decider.user_id,
        action=f"subscriptions.{'approve' if decision.approve else 'reject'}",
        target=ref.request,
        result="ok",
        detail={"asset": view.asset_name, "comment": decision.text, "days": days},
    )
    until = expiry.start(deps, view, days) if days else None
    ends = f"Access ends {until:%Y-%m-%d %H:%M} UTC." if until else ""
    note = "\n".join(part for part in (decision.text, ends) if part)
    _update_card(deps.slack, card, blocks.decided_card(view, outcome, f"<@{decider.user_id}>", note))
    tell_requester(
        deps,
        view,
        card,
        f"Your request for *{view.asset_name}* was {outcome} by <@{decider.user_id}>." + (f"\n{note}" if note else ""),
    )


def tell_requester(deps: Deps, view: RequestView, card: RequestCard | None, text: str) -> None:
    """A DM when the policy maps the requester to a Slack user, else a reply in the card's thread."""
    if view.requester_slack is not None:
        deps.slack.chat_postMessage(channel=view.requester_slack, text=text)
    elif card is not None and card.channel and card.message_ts:
        deps.slack.chat_postMessage(channel=card.channel, thread_ts=card.message_ts, text=f"{view.requester}: {text}")


def show_outcome_from_datazone(
    service: SubscriptionService, store: CardStore, client: WebClient, domain_id: str, request_id: str
) -> None:
    """The request was decided outside Slack (portal, API): show DataZone's outcome on the card."""
    card = store.get(request_id)
    current = service.load(domain_id, request_id)
    if current.status == "PENDING":
        return
    store.finish(request_id, current.status.lower(), current.reviewer or "datazone")
    _update_card(
        client,
        card,
        blocks.decided_card(current, current.status.lower(), "someone in DataZone", current.decision_comment),
    )


def _update_card(client: WebClient, card: Any, new_blocks: list[dict[str, Any]]) -> None:
    if card is not None and card.channel and card.message_ts:
        client.chat_update(
            channel=card.channel, ts=card.message_ts, text="Subscription request decided", blocks=new_blocks
        )
