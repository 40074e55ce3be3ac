"""The buttons of an access review card: Keep and Revoke per subscription, Keep all and Revoke all; and the
`/subscriptions reviews` form that lists the open campaigns."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.commands import Invocation
from bot.errors import BadInput
from bot.registry import Interaction
from handlers.subscriptions import ids, review_blocks, reviews
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.review_store import KEEP, REVOKE

DECISIONS = {
    ids.REVIEW_KEEP: KEEP,
    ids.REVIEW_REVOKE: REVOKE,
    ids.REVIEW_KEEP_ALL: KEEP,
    ids.REVIEW_REVOKE_ALL: REVOKE,
}


def decide(flows: Subscriptions, interaction: Interaction) -> None:
    """A press on a review card: decide, then redraw the card as it now stands and say what happened."""
    action = interaction.body["actions"][0]
    ref = ids.ReviewRef.model_validate_json(action["value"])
    text, card = reviews.decide(
        flows,
        ref.campaign,
        interaction.user_id,
        DECISIONS[action["action_id"]],
        datetime.now(UTC),
        subscription_id=ref.subscription,
        listing_id=ref.listing if ref.subscription is None else None,
        card=ref.card,
    )
    if card is not None:
        interaction.respond(replace_original=True, text=text, blocks=card)
    interaction.respond(response_type="ephemeral", replace_original=False, text=text)


def list_open(flows: Subscriptions, invocation: Invocation) -> None:
    """`/subscriptions reviews`: the open campaigns with their counts and deadlines."""
    if invocation.args.strip():
        raise BadInput("`/subscriptions reviews` takes no arguments.\nUsage: `/subscriptions reviews`")
    campaigns = reviews.open_reviews(flows)
    invocation.respond(
        response_type="ephemeral",
        text=f"{len(campaigns)} open access reviews",
        blocks=review_blocks.open_list(campaigns),
    )
