"""The decision modals of /subscriptions: approve (comment, how long, which filters) and reject (a reason,
required)."""

from __future__ import annotations

from typing import Any

from bot.registry import Interaction
from bot.replies import tell_user
from handlers.subscriptions import ids
from handlers.subscriptions.decisions import Decider, Decision, decide
from handlers.subscriptions.flows import Subscriptions

# The most days a modal's choice is read as; above it, the policy's default applies.
MAX_DAYS = 3650


def submit_approval(flows: Subscriptions, interaction: Interaction) -> None:
    """Approve as the approve modal says."""
    body = interaction.body
    decision = Decision(True, _text(body, ids.COMMENT_BLOCK, ids.COMMENT_ACTION), _days(body), _filter_ids(body))
    _decide(flows, interaction, decision)


def submit_rejection(flows: Subscriptions, interaction: Interaction) -> None:
    """Reject with the reason the reject modal gives."""
    _decide(flows, interaction, Decision(False, _reason(interaction.body)))


def reason_given(body: dict[str, Any]) -> dict[str, str] | None:
    """A rejection keeps its modal open until it says why."""
    if len(_reason(body)) < 3:
        return {ids.REASON_BLOCK: "Say why, so the requester can act on it."}
    return None


def scope_chosen(body: dict[str, Any]) -> dict[str, str] | None:
    """An approval keeps its modal open while the policy wants it scoped and no filter is chosen.

    The modal was drawn with its filter menu required exactly when the policy wanted that (Slack holds the view, so
    the submitter cannot change it); the decision checks the policy again, as it stands then.
    """
    drawn = next((b for b in body["view"].get("blocks") or [] if b.get("block_id") == ids.SCOPE_BLOCK), None)
    if drawn is not None and not drawn.get("optional", False) and not _filter_ids(body):
        return {ids.SCOPE_BLOCK: "The policy grants this data only through chosen filters: choose at least one."}
    return None


def _decide(flows: Subscriptions, interaction: Interaction, decision: Decision) -> None:
    body, client = interaction.body, interaction.client
    ref = ids.RequestRef.model_validate_json(body["view"]["private_metadata"])
    user = body["user"]
    decider = Decider(user["id"], user.get("username") or user["id"])
    decide(flows, ref, decider, decision, lambda message: tell_user(client, body, message))


def _text(body: dict[str, Any], block: str, action: str) -> str:
    value = body["view"]["state"]["values"].get(block, {}).get(action, {}).get("value")
    return (value or "").strip()


def _reason(body: dict[str, Any]) -> str:
    return _text(body, ids.REASON_BLOCK, ids.REASON_ACTION)


def _days(body: dict[str, Any]) -> int | None:
    # "0" is the "No end date" option; anything unreadable falls back to the policy's default.
    selected = body["view"]["state"]["values"].get(ids.DAYS_BLOCK, {}).get(ids.DAYS_ACTION, {}).get("selected_option")
    value = (selected or {}).get("value", "")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_DAYS else None


def _filter_ids(body: dict[str, Any]) -> tuple[str, ...]:
    # The chosen options' values are filter ids; the decision checks each is still one of the asset's.
    chosen = body["view"]["state"]["values"].get(ids.SCOPE_BLOCK, {}).get(ids.SCOPE_ACTION, {}).get("selected_options")
    return tuple(str(option.get("value", "")) for option in chosen or [] if option.get("value"))
