"""The access reviews' recurring job: start the campaigns the policy says are due, remind before deadlines, finish
decisions whose deciders died before carrying them out, and settle campaigns at their deadline.

Runs hourly on the scheduler leader (and may run twice, or after a restart): every step is claimed in the
database (review_store.py), so nothing is done twice; reviews.py has the campaigns themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import groupby

import structlog
from sqlalchemy.orm import Session

from bot.errors import Conflict
from bot.outbox import message
from handlers.subscriptions import review_blocks
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.intake import approvers_of
from handlers.subscriptions.review_failures import reason, transient
from handlers.subscriptions.review_store import FAILED, UNANSWERED, ReviewCampaign, ReviewItem, ReviewStore
from handlers.subscriptions.reviews import (
    ACTOR,
    AUDIT_ACTION,
    STALE,
    carry_out,
    close,
    close_if_done,
    start,
    store_of,
)

log = structlog.get_logger(__name__)

REVIEWS = "subscriptions.reviews"


def _interrupted(item: ReviewItem, now: datetime) -> bool:
    """Decided but not carried out, by someone who began (or claimed) it long enough ago that they died doing so."""
    if item.decision is None or item.outcome is not None:
        return False
    began = max(moment for moment in (item.decided_at, item.executing_at) if moment is not None)
    return began < now - STALE


def _finish(flows: Subscriptions, store: ReviewStore, item: ReviewItem, now: datetime) -> str | None:
    """Carry out a decided item for the job: its outcome, or None when it is left for a later run (another process
    is carrying it out, or AWS asked to try later). A failure that retrying will not cure is recorded as FAILED with
    its reason, so one item never holds up the others or the campaign (review_failures.py says which is which)."""
    decision = item.decision
    if decision is None or not store.begin(item.campaign_id, item.subscription_id, now, now - STALE):
        return None
    context = {"campaign": item.campaign_id, "subscription": item.subscription_id, "decision": decision}
    try:
        outcome = carry_out(flows, store, item, decision)
    except Exception as exc:
        if transient(exc):
            log.warning("review_item_retry_later", **context, exc_info=True)
            store.pause(item.campaign_id, item.subscription_id)
            return None
        log.exception("review_item_failed", **context)
        store.settle(item.campaign_id, item.subscription_id, FAILED, reason(exc))
        outcome = FAILED
    interrupted = decision != UNANSWERED
    flows.audit.record(
        actor=(item.decided_by or ACTOR) if interrupted else ACTOR,
        action=AUDIT_ACTION[decision] if interrupted else "subscriptions.review_unanswered",
        target=item.subscription_id,
        result="failed" if outcome == FAILED else "ok",
        detail={
            "campaign": item.campaign_id,
            "asset": item.asset_name,
            "outcome": outcome,
            **({"carried_out_by": ACTOR} if interrupted else {}),
        },
    )
    return outcome


def finish_interrupted(flows: Subscriptions, campaign_id: str, now: datetime) -> int:
    """Carry out the decisions of an open campaign whose deciders died before doing so (and close it when that was
    all it waited for); how many were finished."""
    store = store_of(flows)
    finished = sum(
        _finish(flows, store, item, now) is not None for item in store.items(campaign_id) if _interrupted(item, now)
    )
    if finished:
        close_if_done(flows, store, campaign_id, now)
    return finished


def settle(flows: Subscriptions, campaign_id: str, now: datetime) -> dict[str, int]:
    """At the deadline: what nobody answered is handled as the campaign's policy says, then the campaign closes with
    its report. It closes only once every decision was carried out (or failed for good): one still being carried
    out, or left by AWS for later, keeps it open for the next run, which finishes it and closes once."""
    store = store_of(flows)
    counts = {"unanswered": 0, "left": 0, "closed": 0}
    for item in store.items(campaign_id):
        if item.decision is None and store.claim(campaign_id, item.subscription_id, UNANSWERED, ACTOR, now):
            item.decision, item.decided_at = UNANSWERED, now
            counts["unanswered"] += 1
        elif not _interrupted(item, now):
            continue  # carried out already, or being carried out by whoever decided it a moment ago
        if _finish(flows, store, item, now) is None:
            counts["left"] += 1
    if all(item.outcome for item in store.items(campaign_id)):
        counts["closed"] = int(close(flows, store, campaign_id, now))
    return counts


def _remind(flows: Subscriptions, store: ReviewStore, campaign: ReviewCampaign, now: datetime) -> bool:
    waiting = [item for item in store.items(campaign.campaign_id) if item.decision is None]
    if not waiting:
        return False

    def send(session: Session) -> None:
        for project, group in groupby(
            sorted(waiting, key=lambda i: i.owner_project_id), key=lambda i: i.owner_project_id
        ):
            rows = list(group)
            channel = flows.channel_for(project)
            if channel is None:
                continue
            text = review_blocks.reminder(
                campaign, approvers_of(flows, project), len(rows), [r.asset_name for r in rows]
            )
            key = f"subscriptions.review_reminder:{campaign.campaign_id}:{project}"
            flows.messages.send(message.post(channel, text, key=key), session)

    return store.mark_reminded(campaign.campaign_id, now, send)


def tick(flows: Subscriptions, domain_id: str, now: datetime | None = None) -> dict[str, int]:
    """The recurring job: start the campaigns the policy says are due, remind, and settle deadlines."""
    now = now or datetime.now(UTC)
    store = store_of(flows)
    counts = {"started": 0, "reminded": 0, "settled": 0, "finished": 0}
    open_now = {c.classification for c in store.open_campaigns()}
    for classification, schedule in flows.access.policy.subscriptions.reviews.items():
        last = store.last_started(classification)
        if classification in open_now or (last is not None and last + timedelta(days=schedule.every_days) > now):
            continue
        # One classification failing to start (DataZone throttling, a bug) must not keep the others from starting
        # nor the open campaigns from being settled: it is logged, and the next run tries again.
        try:
            start(flows, classification, ACTOR, now)
            counts["started"] += 1
        except Conflict:
            pass  # another replica started it first
        except Exception:
            log.exception("review_start_failed", classification=classification)
    for campaign in store.open_campaigns():
        if campaign.domain_id != domain_id:
            continue
        try:
            if campaign.deadline <= now:
                settle(flows, campaign.campaign_id, now)
                counts["settled"] += 1
                continue
            counts["finished"] += finish_interrupted(flows, campaign.campaign_id, now)
            if campaign.remind_at is not None and campaign.remind_at <= now and campaign.reminded_at is None:
                counts["reminded"] += int(_remind(flows, store, campaign, now))
        except Exception:
            log.exception("review_campaign_failed", campaign=campaign.campaign_id)
    log.info("subscription_reviews_ticked", domain=domain_id, **counts)
    return counts


__all__ = ["REVIEWS", "finish_interrupted", "settle", "tick"]
