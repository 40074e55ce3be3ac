"""What the subscription flows say in Slack, as outbox messages: the card, its updates, and word to the requester."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.kernel import Messages
from bot.outbox import message
from handlers.subscriptions.store import CardStore, RequestCard

CARD_POSTED = "subscriptions.card_posted"


def card_key(request_id: str) -> str:
    """The outbox key of a request's card: one card per request, whoever enqueues it."""
    return f"subscriptions.card:{request_id}"


def register_callbacks(outbox: Messages, store: CardStore) -> None:
    """When a card lands, the request's record learns where it is (reminders and escalations need its ts)."""

    def posted(session: Session, context: dict[str, Any], channel: str | None, ts: str | None) -> None:
        if channel and ts:
            store.posted(str(context["request_id"]), channel, ts, session)

    outbox.on_sent(CARD_POSTED, posted)


def post_card(outbox: Messages, session: Session, channel: str, request_id: str, text: str, blocks: list[Any]) -> None:
    """The request's card, in the caller's transaction."""
    outbox.send(
        message.post(
            channel, text, blocks, key=card_key(request_id), on_sent=CARD_POSTED, context={"request_id": request_id}
        ),
        session,
    )


def _card_ref(outbox: Messages, card: RequestCard | None) -> dict[str, str] | None:
    """How to address a card: its ts once posted, else the key of the outbox message still posting it."""
    if card is None:
        return None
    if card.channel and card.message_ts:
        return {"channel": card.channel, "ts": card.message_ts}
    queued = outbox.queued(card_key(card.request_id))
    if queued is not None:
        return {"channel": queued.channel, "after": card_key(card.request_id)}
    return None  # decided by command before any card existed


def update_card(
    outbox: Messages, session: Session, card: RequestCard | None, text: str, blocks: list[Any], key: str
) -> None:
    """New content for the request's card (a newer rendering supersedes one not yet sent)."""
    ref = _card_ref(outbox, card)
    if ref is None or card is None:
        return
    target = {"ts": ref["ts"]} if "ts" in ref else {"after": ref["after"]}
    outbox.send(
        message.update(ref["channel"], text, blocks, key=key, replaces=card_key(card.request_id), **target), session
    )


def in_thread(outbox: Messages, session: Session, card: RequestCard | None, text: str, key: str, **extra: Any) -> bool:
    """A line in the card's thread; False if there is no card to reply to."""
    ref = _card_ref(outbox, card)
    if ref is None:
        return False
    target = {"thread_ts": ref["ts"]} if "ts" in ref else {"after": ref["after"]}
    outbox.send(message.reply(ref["channel"], text, key=key, **target, **extra), session)
    return True


def tell_requester(
    outbox: Messages,
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
        outbox.send(message.dm(requester_slack, text, blocks, key=key), session)
        return
    extra = {"blocks": blocks} if blocks else {}
    in_thread(outbox, session, card, f"{requester}: {text}", key, **extra)
