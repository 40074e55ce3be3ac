"""DataZone's subscription events, as EventBridge delivers them: a new request, or one decided outside Slack."""

from __future__ import annotations

from bot.inbox.envelope import InboundEvent
from handlers.subscriptions.decisions import show_outcome_from_datazone
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.intake import intake
from handlers.subscriptions.store import PENDING

CREATED = "Subscription Request Created"
DECIDED = ("Subscription Request Accepted", "Subscription Request Rejected")


def on_created(flows: Subscriptions, event: InboundEvent) -> None:
    """A new request: EventBridge names it in detail.metadata; everything else is fetched."""
    named = _request(event)
    if named is not None:
        intake(flows, *named)


def on_decided(flows: Subscriptions, event: InboundEvent) -> None:
    """Decided outside Slack: the card shows the outcome unless the bot made the decision itself."""
    named = _request(event)
    if named is None:
        return
    card = flows.cards.get(named[1])
    if card is not None and card.status == PENDING:
        show_outcome_from_datazone(flows, *named)


def _request(event: InboundEvent) -> tuple[str, str] | None:
    # (domain, request) as the event's metadata names them, or None when it does not.
    metadata = event.detail.get("metadata") or {}
    domain_id, request = metadata.get("domain"), metadata.get("id")
    if isinstance(domain_id, str) and isinstance(request, str):
        return domain_id, request
    return None
