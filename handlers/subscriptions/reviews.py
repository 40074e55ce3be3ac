"""Periodic access reviews: a campaign asks each owning project's approvers, one card per asset, whether the
subscriptions to their data of a classification still need it; Keep or Revoke per row (or for all); reminders
before the deadline; at the deadline the unanswered are revoked, kept or escalated as the policy says, and the
admins get a report.

Every step takes `now` from its caller (the job passes the clock, tests a later time) and is idempotent: the
campaign's state is in the database (review_store.py), so the hourly job (review_job.py) may run twice, on any
replica that is the scheduler leader, before or after a restart.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from itertools import groupby

import structlog
from sqlalchemy.orm import Session

from bot.errors import BadInput, Conflict, NotFound
from bot.outbox import message
from bot.policy import SubscriptionPolicy
from bot.wording import count, mention, when
from handlers.subscriptions import expiry, review_blocks
from handlers.subscriptions.authority import may_vouch, require_approver
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.grants import Listing, Subscription
from handlers.subscriptions.intake import approvers_of
from handlers.subscriptions.pages import deciders, scopes
from handlers.subscriptions.policy import evaluate
from handlers.subscriptions.review_store import (
    ESCALATED,
    FAILED,
    GONE,
    KEEP,
    KEPT,
    REVOKE,
    REVOKED,
    UNANSWERED,
    ReviewCampaign,
    ReviewItem,
    ReviewStore,
    Tally,
)
from handlers.subscriptions.scopes import scope_text
from handlers.subscriptions.service import listing_forms

log = structlog.get_logger(__name__)

ACTOR = "opsbot-review"
AUDIT_ACTION = {KEEP: "subscriptions.review_keep", REVOKE: "subscriptions.review_revoke"}
# A decision recorded this long ago without an outcome was not carried out by whoever recorded it (their process
# died between the two): the job carries it out. Far longer than a revoke takes, so a slow one is not done twice.
STALE = timedelta(minutes=10)


def classification_of(policy: SubscriptionPolicy, subscription: Subscription) -> str | None:
    """The subscribed asset's classification, read from its listing's forms as the request's verdict reads it."""
    forms, problems = listing_forms(subscription.listing_forms)
    return evaluate(policy, forms, problems).classification


def store_of(flows: Subscriptions) -> ReviewStore:
    return ReviewStore(flows.db)


def _card_key(campaign_id: str, listing_id: str, card: int) -> str:
    return f"subscriptions.review:{campaign_id}:{listing_id}:{card}"


def _items(flows: Subscriptions, campaign_id: str, domain: str, subs: list[Subscription]) -> list[ReviewItem]:
    """The campaign's rows, as each subscription stands now: subscriber, since, approved by, scope, end date."""
    timed = flows.timed.for_subscriptions([s.subscription_id for s in subs])
    approved = deciders(flows, domain, subs)
    # Who asked for each: they may not vouch for their own access. One request may have made several subscriptions.
    requesters = {r: flows.requests.requester_of(domain, r) for r in {s.request_id for s in subs if s.request_id}}
    rows: list[ReviewItem] = []
    ordered = sorted(subs, key=lambda s: (s.listing_id, s.since))
    for listing_id, group in groupby(ordered, key=lambda s: s.listing_id):
        members = list(group)
        first = members[0]
        listing = Listing(listing_id, first.asset_name, first.owner_project_id, first.asset_id)
        scope = scopes(flows, domain, listing, members)
        for index, sub in enumerate(members):
            end = timed.get(sub.subscription_id)
            approver = approved.get(sub.request_id or "") or sub.approved_by
            rows.append(
                ReviewItem(
                    campaign_id=campaign_id,
                    subscription_id=sub.subscription_id,
                    domain_id=domain,
                    listing_id=listing_id,
                    asset_name=sub.asset_name[:256],
                    owner_project_id=sub.owner_project_id,
                    card=index // review_blocks.ROWS_PER_CARD,
                    subscriber=sub.subscriber[:512],
                    since=sub.since,
                    approved_by=approver[:256],
                    scope=scope.get(sub.subscription_id, scope_text(()))[:512],
                    ends_at=end.expires_at if end is not None and end.status != "ended" else None,
                    requester_slack=requesters.get(sub.request_id or ""),
                )
            )
    return rows


def _cards(
    flows: Subscriptions, campaign: ReviewCampaign, items: list[ReviewItem]
) -> list[tuple[str, str, str, list[dict[str, object]]]]:
    """Each card to post: its channel, outbox key, text and blocks."""
    posts = []
    by_listing = groupby(items, key=lambda i: i.listing_id)
    for listing_id, group in by_listing:
        rows = list(group)
        channel = flows.channel_for(rows[0].owner_project_id)
        if channel is None:
            log.error("no_channel_for_review", project=rows[0].owner_project_id, campaign=campaign.campaign_id)
            continue
        parts = max(r.card for r in rows) + 1
        for part in range(parts):
            shown = [r for r in rows if r.card == part]
            blocks = review_blocks.card(campaign, shown, approvers_of(flows, rows[0].owner_project_id), part + 1, parts)
            text = review_blocks.card_text(campaign, rows[0].asset_name)
            posts.append((channel, _card_key(campaign.campaign_id, listing_id, part), text, blocks))
    return posts


def start(flows: Subscriptions, classification: str, started_by: str, now: datetime) -> str:
    """Open a campaign over the active subscriptions to assets of `classification` and send its cards; returns
    what to tell whoever started it. BadInput when the policy schedules no review of it; Conflict when one is open."""
    policy = flows.access.policy.subscriptions
    wanted = classification.strip().lower()
    schedule = policy.reviews.get(wanted)
    if schedule is None:
        known = ", ".join(sorted(policy.reviews)) or "none"
        raise BadInput(
            f"The policy schedules no access review of {classification!r} data (scheduled: {known}); an admin adds "
            "one under `subscriptions.reviews`."
        )
    store = store_of(flows)
    if any(c.classification == wanted for c in store.open_campaigns()):
        raise Conflict(f"An access review of {wanted} data is already open: `/subscriptions reviews` shows it.")
    domain = flows.domain()
    subs = [s for s in flows.grants.approved(domain) if classification_of(policy, s) == wanted]
    campaign_id = f"rv-{secrets.token_hex(5)}"
    deadline = now + timedelta(days=schedule.answer_days)
    campaign = ReviewCampaign(
        campaign_id=campaign_id,
        domain_id=domain,
        classification=wanted,
        open_for=wanted,
        started_at=now,
        started_by=started_by[:64],
        deadline=deadline,
        remind_at=deadline - timedelta(days=schedule.remind_before_days) if schedule.remind_before_days else None,
        unanswered=schedule.unanswered,
    )
    # A subscription whose owning project has no channel, with no admin channel to fall back on, would get no card:
    # nobody could answer it and the deadline would settle it unseen. It is left out, and whoever started is told.
    listed = _items(flows, campaign_id, domain, subs)
    items = [item for item in listed if flows.channel_for(item.owner_project_id) is not None]
    unreachable = sorted({item.owner_project_id for item in listed} - {item.owner_project_id for item in items})
    left_out = ""
    if unreachable:
        left_out = (
            f" Left out {count(len(listed) - len(items), 'subscription')} to assets of "
            f"{', '.join(f'`{p}`' for p in unreachable)}: no channel to ask their approvers in (an admin sets the "
            "project's `channel` in the policy, or OPSBOT_ADMIN_CHANNEL)."
        )
        log.warning("review_items_without_channel", campaign=campaign_id, projects=unreachable)

    def send_cards(session: Session) -> None:
        for channel, key, text, blocks in _cards(flows, campaign, items):
            flows.messages.send(message.post(channel, text, blocks, key=key), session)

    if not store.open_campaign(campaign, items, send_cards):
        raise Conflict(f"An access review of {wanted} data is already open: `/subscriptions reviews` shows it.")
    assets = {item.listing_id for item in items}
    flows.audit.record(
        actor=started_by,
        action="subscriptions.review_start",
        target=campaign_id,
        result="ok",
        detail={
            "classification": wanted,
            "subscriptions": len(items),
            "assets": len(assets),
            "left_out": len(listed) - len(items),
        },
    )
    if not items:
        close(flows, store, campaign_id, now)
        return (
            f"Access review `{campaign_id}` of {wanted} data: no active subscription to review, so it closed."
            + left_out
        )
    return (
        f"Started access review `{campaign_id}` of {wanted} data: {count(len(items), 'subscription')} to "
        f"{count(len(assets), 'asset')}; the approvers answer by {when(deadline)}." + left_out
    )


def _revoke(flows: Subscriptions, item: ReviewItem) -> str:
    """Revoke in DataZone (and end the bot's time-bound record of it); GONE when it had already ended."""
    try:
        flows.grants.revoke(item.domain_id, item.subscription_id)
    except (Conflict, NotFound):
        return GONE
    if flows.timed.get(item.subscription_id) is not None and flows.timed.end(item.subscription_id):
        flows.jobs.cancel(f"{expiry.EXPIRE}.{item.subscription_id}")
        flows.jobs.cancel(f"{expiry.REMIND}.{item.subscription_id}")
    return REVOKED


def carry_out(flows: Subscriptions, store: ReviewStore, item: ReviewItem, decision: str) -> str:
    """Do what a claimed (and begun) decision says and record what became of it; raises what the action raised."""
    if decision == REVOKE or (decision == UNANSWERED and _unanswered_action(store, item) == "revoke"):
        outcome = _revoke(flows, item)
    elif decision == UNANSWERED and _unanswered_action(store, item) == "escalate":
        outcome = ESCALATED
    else:
        outcome = KEPT
    store.settle(item.campaign_id, item.subscription_id, outcome)
    return outcome


def _unanswered_action(store: ReviewStore, item: ReviewItem) -> str:
    campaign = store.campaign(item.campaign_id)
    return campaign.unanswered if campaign is not None else "keep"


def _said(item: ReviewItem) -> str:
    """Who decided an item already decided, for the one who clicked second."""
    if item.decision == UNANSWERED:
        return f"The review's deadline already settled {item.subscriber}'s access to {item.asset_name}."
    verb = "kept" if item.decision == KEEP else "revoked"
    return (
        f"{mention(item.decided_by, item.decided_by or 'Someone')} already {verb} {item.subscriber}'s access to "
        f"{item.asset_name} ({when(item.decided_at)})."
    )


def decide(
    flows: Subscriptions,
    campaign_id: str,
    user_id: str,
    decision: str,
    now: datetime,
    *,
    subscription_id: str | None = None,
    listing_id: str | None = None,
    card: int = 0,
) -> tuple[str, list[dict[str, object]] | None]:
    """Keep or revoke one item (or every undecided one of a card); returns what to tell the user and the card as it
    now stands (None when there is none to show). Only the owning project's approvers (or admins) may."""
    store = store_of(flows)
    campaign = store.campaign(campaign_id)
    if campaign is None:
        raise NotFound(f"No access review {campaign_id}.")
    if subscription_id is not None:
        found = store.item(campaign_id, subscription_id)
        targets = [found] if found is not None else []
    else:
        targets = store.items(campaign_id, listing_id, card)
    if not targets:
        raise NotFound(f"Access review {campaign_id} asks about no such subscription.")
    first = targets[0]
    target = subscription_id or f"{campaign_id}:{listing_id}:{card}"
    require_approver(flows.access, flows.audit, user_id, first.owner_project_id, AUDIT_ACTION[decision], target)
    if campaign.closed_at is not None:
        text = f"Access review `{campaign_id}` closed {when(campaign.closed_at)}; nothing more can be decided in it."
        if subscription_id is not None and first.decision is not None:
            text = _said(first)
        return text, _card(flows, store, first)
    if decision == KEEP and subscription_id is not None and first.decision is None:
        may_vouch(flows.access, flows.audit, user_id, first.subscription_id, first.requester_slack)
    done: list[str] = []
    taken: list[str] = []
    own: list[str] = []
    for item in targets:
        if item.owner_project_id != first.owner_project_id:
            continue  # one card is one asset, so one owner; anything else was not on it
        if decision == KEEP and item.decision is None and item.requester_slack == user_id:
            own.append(item.subscription_id)  # Keep all passes over the presser's own access: another vouches
            continue
        if not store.claim(campaign_id, item.subscription_id, decision, user_id, now):
            taken.append(item.subscription_id)
            continue
        if not store.begin(campaign_id, item.subscription_id, now, now - STALE):
            taken.append(item.subscription_id)  # only a job finishing an interrupted decision gets here first
            continue
        try:
            outcome = carry_out(flows, store, item, decision)
        except Exception:
            # Said to the presser as an error; the item is undecided again, to be decided (or settled) anew.
            store.release(campaign_id, item.subscription_id)
            raise
        flows.audit.record(
            actor=user_id,
            action=AUDIT_ACTION[decision],
            target=item.subscription_id,
            result="ok",
            detail={
                "campaign": campaign_id,
                "asset": item.asset_name,
                "subscriber": item.subscriber,
                "outcome": outcome,
            },
        )
        done.append(item.subscription_id)
    if subscription_id is not None and not done:
        latest = store.item(campaign_id, subscription_id)
        text = _said(latest) if latest is not None else "Already decided."
    else:
        verb = "Kept" if decision == KEEP else "Revoked"
        text = f"{verb} {count(len(done), 'subscription')} of {first.asset_name}."
        if own:
            text += (
                f" You asked for {count(len(own), 'subscription')} of them yourself, so another approver has to "
                "vouch for those."
            )
    close_if_done(flows, store, campaign_id, now)
    return text, _card(flows, store, first)


def _card(flows: Subscriptions, store: ReviewStore, item: ReviewItem) -> list[dict[str, object]] | None:
    campaign = store.campaign(item.campaign_id)
    if campaign is None:
        return None
    rows = store.items(item.campaign_id, item.listing_id)
    parts = max(r.card for r in rows) + 1
    shown = [r for r in rows if r.card == item.card]
    return review_blocks.card(campaign, shown, approvers_of(flows, item.owner_project_id), item.card + 1, parts)


def close_if_done(flows: Subscriptions, store: ReviewStore, campaign_id: str, now: datetime) -> None:
    # Everything answered before the deadline: the campaign is complete, and the admins hear now.
    if store.tally(campaign_id).waiting == 0 and all(i.outcome for i in store.items(campaign_id)):
        close(flows, store, campaign_id, now)


def close(flows: Subscriptions, store: ReviewStore, campaign_id: str, now: datetime) -> bool:
    campaign = store.campaign(campaign_id)
    if campaign is None:
        return False
    tally, items = store.tally(campaign_id), store.items(campaign_id)
    admin_channel = flows.admin_channel

    def send_report(session: Session) -> None:
        if admin_channel is None:
            log.warning("review_report_without_admin_channel", campaign=campaign_id)
            return
        text = review_blocks.report(campaign, tally, items)
        flows.messages.send(
            message.post(admin_channel, text, key=f"subscriptions.review_report:{campaign_id}"), session
        )

    closed = store.close(campaign_id, now, send_report)
    if closed:
        flows.audit.record(
            actor=ACTOR,
            action="subscriptions.review_close",
            target=campaign_id,
            result="ok",
            detail={
                "kept": tally.kept,
                "revoked": tally.revoked,
                "unanswered": tally.unanswered,
                "failed": sum(1 for item in items if item.outcome == FAILED),
            },
        )
    return closed


def open_reviews(flows: Subscriptions) -> list[tuple[ReviewCampaign, Tally]]:
    """The open campaigns, oldest first, with how each stands."""
    store = store_of(flows)
    return [(campaign, store.tally(campaign.campaign_id)) for campaign in store.open_campaigns()]


__all__ = [
    "ACTOR",
    "AUDIT_ACTION",
    "STALE",
    "carry_out",
    "close",
    "close_if_done",
    "decide",
    "open_reviews",
    "start",
    "store_of",
]
