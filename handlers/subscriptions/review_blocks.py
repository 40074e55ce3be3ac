"""Block Kit of access reviews: the card per asset (a row per subscription, Keep and Revoke), the reminder, the
admins' report, and the list of open campaigns."""

from __future__ import annotations

from typing import Any

from bot.blockkit import MESSAGE_BLOCKS, button, confirm_dialog, context, section
from bot.wording import count, mention, when
from handlers.subscriptions import ids
from handlers.subscriptions.review_store import (
    ESCALATED,
    FAILED,
    GONE,
    KEEP,
    REVOKE,
    UNANSWERED,
    ReviewCampaign,
    ReviewItem,
    Tally,
)

# Each row is a section and its buttons: with the heading, the all buttons and the footer, this many rows keep a
# card well inside Slack's 50 blocks; an asset with more subscriptions gets more cards.
ROWS_PER_CARD = 20
assert 2 * ROWS_PER_CARD + 3 <= MESSAGE_BLOCKS

WHAT_UNANSWERED_MEANS = {
    "revoke": "revoked",
    "keep": "kept",
    "escalate": "kept and handed to the opsbot admins",
}


def _row(item: ReviewItem) -> str:
    facts = [
        f"*{item.subscriber}*",
        f"since {item.since:%Y-%m-%d}",
        f"approved by {mention(item.approved_by, item.approved_by)}",
        item.scope,
        f"ends {when(item.ends_at)}" if item.ends_at else "no end date",
    ]
    return " · ".join(facts) + f"\n`{item.subscription_id}`"


def _decided(item: ReviewItem) -> str:
    if item.outcome == FAILED:
        return f":warning: *Could not be carried out*: {item.failure or 'unknown error'}"
    if item.decision == KEEP:
        return f":white_check_mark: *Kept* by {mention(item.decided_by, item.decided_by or 'someone')}"
    if item.decision == REVOKE:
        gone = " (it had already ended)" if item.outcome == GONE else ""
        return f":no_entry: *Revoked* by {mention(item.decided_by, item.decided_by or 'someone')}{gone}"
    if item.outcome == ESCALATED:
        return ":rotating_light: *Unanswered*: kept, and handed to the opsbot admins"
    return f":hourglass: *Unanswered* at the deadline: {item.outcome or 'settling'}"


def card_text(campaign: ReviewCampaign, asset_name: str) -> str:
    return f"Access review of {asset_name} ({campaign.classification}): keep or revoke by {when(campaign.deadline)}"


def card(
    campaign: ReviewCampaign, items: list[ReviewItem], approvers: str, part: int, parts: int
) -> list[dict[str, Any]]:
    """One asset's card (or one part of it): its subscriptions with Keep and Revoke, and Keep all / Revoke all."""
    first = items[0]
    blocks: list[dict[str, Any]] = [
        section(
            f":clipboard: *Access review: {first.asset_name}* ({campaign.classification} data)\n"
            f"{approvers}: does each subscription below still need its access? Answer by "
            f"*{when(campaign.deadline)}*; what is unanswered then is "
            f"{WHAT_UNANSWERED_MEANS.get(campaign.unanswered, campaign.unanswered)}."
        )
    ]
    open_ = campaign.closed_at is None
    waiting = 0
    for item in items:
        if item.decision is not None or not open_:
            blocks.append(section(_row(item) + "\n" + _decided(item) if item.decision else _row(item)))
            continue
        waiting += 1
        ref = ids.ReviewRef(
            campaign=campaign.campaign_id, owner=item.owner_project_id, subscription=item.subscription_id
        )
        value = ref.model_dump_json(exclude_none=True)
        blocks.append(section(_row(item)))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"review_{item.subscription_id}",
                "elements": [
                    button(ids.REVIEW_KEEP, "Keep", value, "primary"),
                    button(ids.REVIEW_REVOKE, "Revoke", value, "danger"),
                ],
            }
        )
    if waiting > 1:
        all_ref = ids.ReviewRef(
            campaign=campaign.campaign_id, owner=first.owner_project_id, listing=first.listing_id, card=first.card
        ).model_dump_json(exclude_none=True)
        revoke_all = button(ids.REVIEW_REVOKE_ALL, f"Revoke all {waiting}", all_ref, "danger")
        # Revoking takes access away at once, and a stray click on it should not: Slack asks first.
        revoke_all["confirm"] = confirm_dialog(
            f"Revoke all {waiting}?",
            f"This revokes the {waiting} subscriptions to {first.asset_name} still awaiting an answer on this card, "
            "now: their subscribers lose access, and getting it back takes a new request.",
            f"Revoke {waiting}",
            "Back",
        )
        blocks.append(
            {
                "type": "actions",
                "block_id": "review_all",
                "elements": [button(ids.REVIEW_KEEP_ALL, f"Keep all {waiting}", all_ref), revoke_all],
            }
        )
    footer = f"Review `{campaign.campaign_id}`"
    if parts > 1:
        footer += f" · part {part} of {parts} for this asset"
    if not open_:
        footer += f" · closed {when(campaign.closed_at)}"
    blocks.append(context(footer))
    return blocks


def reminder(campaign: ReviewCampaign, approvers: str, waiting: int, assets: list[str]) -> str:
    return (
        f":alarm_clock: {approvers}: {count(waiting, 'subscription')} of {', '.join(sorted(set(assets)))} still "
        f"await your access review (`{campaign.campaign_id}`), due {when(campaign.deadline)}; what is unanswered "
        f"then is {WHAT_UNANSWERED_MEANS.get(campaign.unanswered, campaign.unanswered)}."
    )


def report(campaign: ReviewCampaign, tally: Tally, items: list[ReviewItem]) -> str:
    """The admins' report when a campaign closes: what was kept, revoked and left unanswered, and what was done."""
    unanswered = [item for item in items if item.decision == UNANSWERED]
    failed = [item for item in items if item.outcome == FAILED]
    totals = f"kept: {tally.kept} · revoked: {tally.revoked} · unanswered: {tally.unanswered}"
    lines = [
        f":bar_chart: *Access review `{campaign.campaign_id}` closed* ({campaign.classification} data, started "
        f"{when(campaign.started_at)} by {mention(campaign.started_by, campaign.started_by)})",
        totals + (f" · :warning: not carried out: {len(failed)}" if failed else ""),
    ]
    if failed:
        # A decision that could not be carried out leaves the access as it was: an admin finishes it by hand.
        lines.append("These decisions could not be carried out, so the access is as it was:")
        lines += [
            f"• {item.asset_name}: {item.subscriber} (`{item.subscription_id}`), {item.decision}: {item.failure}"
            for item in failed[:20]
        ]
        if len(failed) > 20:
            lines.append(f"… and {len(failed) - 20} more")
    if unanswered:
        lines.append(f"The unanswered were {WHAT_UNANSWERED_MEANS.get(campaign.unanswered, campaign.unanswered)}:")
        shown = unanswered[:20]
        lines += [
            f"• {item.asset_name}: {item.subscriber} (`{item.subscription_id}`): {item.outcome}" for item in shown
        ]
        if len(unanswered) > len(shown):
            lines.append(f"… and {len(unanswered) - len(shown)} more")
        if campaign.unanswered == "escalate":
            lines.append("Revoke what should not stay with `/subscriptions revoke <subscription-id>`.")
    return "\n".join(lines)


def open_list(campaigns: list[tuple[ReviewCampaign, Tally]]) -> list[dict[str, Any]]:
    """`/subscriptions reviews`: each open campaign, how it stands, and its deadline."""
    if not campaigns:
        return [section("No access review is open.")]
    lines = [
        f"• `{campaign.campaign_id}` {campaign.classification} data: {tally.waiting} of "
        f"{count(tally.total, 'subscription')} awaiting a decision (kept {tally.kept}, revoked {tally.revoked}); "
        f"due {when(campaign.deadline)}"
        for campaign, tally in campaigns
    ]
    return [section(f"*Open access reviews* ({len(campaigns)})\n" + "\n".join(lines))]
