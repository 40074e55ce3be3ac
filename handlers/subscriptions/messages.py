"""What the subscription flows say in Slack, as outbox messages: the card, its updates, and word to the requester."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.kernel import Kernel
from bot.outbox import message
from handlers.subscriptions.store import CardStore, RequestCard

CARD_POSTED = "subscriptions.card_posted"


def channel_for(deps: Kernel, owner_project_id: str) -> str | None:
    """The publishing project's channel from the policy, else the admin channel."""
    project = deps.access.policy.projects.get(owner_project_id)
    return (project.channel if project else None) or deps.settings.admin_channel


def card_key(request_id: str) -> str:
    """The outbox key of a request's card: one card per request, whoever enqueues it."""
    return f"subscriptions.card:{request_id}"


def register_callbacks(deps: Kernel, store: CardStore) -> None:
    """When a card lands, the request's record learns where it is (reminders and escalations need its ts)."""

    def posted(session: Session, context: dict[str, Any], channel: str | None, ts: str | None) -> None:
        if channel and ts:
            store.posted(str(context["request_id"]), channel, ts, session)

    deps.messages.on_sent(CARD_POSTED, posted)


def post_card(deps: Kernel, session: Session, channel: str, request_id: str, text: str, blocks: list[Any]) -> None:
    """The request's card, in the caller's transaction."""
    deps.messages.send(
        message.post(
            channel, text, blocks, key=card_key(request_id), on_sent=CARD_POSTED, context={"request_id": request_id}
        ),
        session,
    )


def _card_ref(deps: Kernel, card: RequestCard | None) -> dict[str, str] | None:
    """How to address a card: its ts once posted, else the key of the outbox message still posting it."""
    if card is None:
        return None
    if card.channel and card.message_ts:
        return {"channel": card.channel, "ts": card.message_ts}
    queued = deps.messages.queued(card_key(card.request_id))
    if queued is not None:
        return {"channel": queued.channel, "after": card_key(card.request_id)}
    return None  # decided by command before any card existed


def update_card(
    deps: Kernel, session: Session, card: RequestCard | None, text: str, blocks: list[Any], key: str
) -> None:
    """New content for the request's card (a newer rendering supersedes one not yet sent)."""
    ref = _card_ref(deps, card)
    if ref is None or card is None:
        return
    target = {"ts": ref["ts"]} if "ts" in ref else {"after": ref["after"]}
    deps.messages.send(
        message.update(ref["channel"], text, blocks, key=key, replaces=card_key(card.request_id), **target), session
    )


def in_thread(deps: Kernel, session: Session, card: RequestCard | None, text: str, key: str, **extra: Any) -> bool:
    """A line in the card's thread; False if there is no card to reply to."""
    ref = _card_ref(deps, card)
    if ref is None:
        return False
    target = {"thread_ts": ref["ts"]} if "ts" in ref else {"after": ref["after"]}
    deps.messages.send(message.reply(ref["channel"], text, key=key, **target, **extra), session)
    return True


def tell_requester(
    deps: Kernel,
    session: Session,
    requester_slack: str | None,
    requester: str,
    card: RequestCard | None,
    text: str,
    key: str,
    blocks: list[Any] | None = None,
) -> None:
    """A DM when the policy maps the requester to a Slack user, else a reply in the card's thread."""
    if requester_slack is not None:
        deps.messages.send(message.dm(requester_slack, text, blocks, key=key), session)
        return
    extra = {"blocks": blocks} if blocks else {}
    in_thread(deps, session, card, f"{requester}: {text}", key, **extra)
