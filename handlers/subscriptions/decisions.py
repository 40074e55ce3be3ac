"""Approve and reject from Slack: one decision per request, recorded in DataZone, the card and the audit log."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.errors import Conflict
from bot.replies import tell_user
from handlers.subscriptions import blocks, ids
from handlers.subscriptions.service import SubscriptionService
from handlers.subscriptions.store import CardStore


def decide(
    deps: Deps,
    service: SubscriptionService,
    store: CardStore,
    client: WebClient,
    body: dict[str, Any],
    approve: bool,
    text: str,
) -> None:
    """Decide the request in the submitted modal for the user who submitted it; the first decision wins."""
    ref = ids.RequestRef.model_validate_json(body["view"]["private_metadata"])
    user = body["user"]
    card = store.get(ref.request)
    if not store.start_decision(ref.request, user["id"]):
        decided_by = f"<@{card.decided_by}>" if card and card.decided_by else "someone else"
        tell_user(client, body, f":information_source: {decided_by} already decided this request.")
        return
    view = service.load(ref.domain, ref.request)
    verb = "Approved" if approve else "Rejected"
    comment = f"{verb} in Slack by {user.get('username') or user['id']} ({user['id']})" + (f": {text}" if text else "")
    try:
        (service.accept if approve else service.reject)(view, comment)
    except Conflict as conflict:
        current = service.load(ref.domain, ref.request)
        store.finish(ref.request, current.status.lower(), current.reviewer or "datazone")
        _update_card(
            client,
            card,
            blocks.decided_card(current, current.status.lower(), "someone in DataZone", current.decision_comment),
        )
        tell_user(client, body, f":information_source: {conflict.message}")
        return
    except Exception:
        store.abandon_decision(ref.request)  # the next click may succeed (throttling, a network blip)
        raise
    outcome = "accepted" if approve else "rejected"
    store.finish(ref.request, outcome, user["id"])
    deps.audit.record(
        actor=user["id"],
        action=f"subscriptions.{'approve' if approve else 'reject'}",
        target=ref.request,
        result="ok",
        detail={"asset": view.asset_name, "comment": text},
    )
    _update_card(client, card, blocks.decided_card(view, outcome, f"<@{user['id']}>", text))
    if card and card.channel and card.message_ts:
        client.chat_postMessage(
            channel=card.channel,
            thread_ts=card.message_ts,
            text=f"{view.requester}: your request was {outcome} by <@{user['id']}>." + (f" {text}" if text else ""),
        )


def decided_elsewhere(
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
