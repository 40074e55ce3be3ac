"""Time-bound access: an approval for N days schedules the revoke and a reminder; renewals push the end back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.orm import Session

from bot.errors import Conflict, NotFound
from bot.outbox import message
from bot.policy import SubscriptionPolicy
from bot.wording import count
from handlers.subscriptions import blocks, ids, messages
from handlers.subscriptions.authority import may_extend
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.service import RequestView
from handlers.subscriptions.store import ACTIVE, ENDED, TimedAccess
from scheduler.jobs import Jobs

log = structlog.get_logger(__name__)

EXPIRE, REMIND = "subscriptions.expire", "subscriptions.expiry_reminder"
REMIND_BEFORE = timedelta(days=1)


def days_for(policy: SubscriptionPolicy, asked: int | None) -> int | None:
    """How long access lasts: what the approver chose, capped by the policy's maximum, which is also the default."""
    cap = policy.max_access_days
    if asked is None:
        return cap
    return min(asked, cap) if cap else asked


def _schedule(jobs: Jobs, row: TimedAccess) -> None:
    # Job ids name the subscription, so a renewal replaces both jobs rather than adding more.
    jobs.at(f"{EXPIRE}.{row.subscription_id}", EXPIRE, row.expires_at, row.domain_id, row.subscription_id)
    reminder = row.expires_at - REMIND_BEFORE
    if reminder > datetime.now(UTC):
        jobs.at(f"{REMIND}.{row.subscription_id}", REMIND, reminder, row.domain_id, row.subscription_id)
    else:
        jobs.cancel(f"{REMIND}.{row.subscription_id}")


def start(flows: Subscriptions, view: RequestView, days: int) -> datetime | None:
    """Record and schedule the end of the access an accepted request granted; returns when it ends."""
    subscription = flows.grants.of_request(view.domain_id, view.request_id)
    if subscription is None:
        log.error("no_subscription_for_accepted_request", request=view.request_id)
        return None
    row = TimedAccess(
        subscription_id=subscription,
        domain_id=view.domain_id,
        request_id=view.request_id,
        asset_name=view.asset_name,
        owner_project_id=view.owner_project_id,
        requester=view.requester,
        requester_slack=view.requester_slack,
        days=days,
        expires_at=datetime.now(UTC) + timedelta(days=days),
        status=ACTIVE,
    )
    flows.timed.record(row)
    _schedule(flows.jobs, row)
    return row.expires_at


def tell(
    flows: Subscriptions,
    row: TimedAccess,
    text: str,
    key: str,
    blocks_: list[dict[str, object]] | None = None,
    session: Session | None = None,
) -> None:
    """Tell the requester through the outbox: a DM when mapped, else the request card's thread; once per `key`."""
    card = flows.cards.get(row.request_id)
    if session is None:
        with flows.db.session() as own:
            messages.tell_requester(flows.messages, own, row.requester_slack, row.requester, card, text, key, blocks_)
        return
    messages.tell_requester(flows.messages, session, row.requester_slack, row.requester, card, text, key, blocks_)


def expire(flows: Subscriptions, domain_id: str, subscription_id: str) -> str:
    """The stored task at the end of time-bound access: revoke once, however often it runs."""
    access = flows.timed
    row = access.get(subscription_id)
    if row is None or row.status == ENDED:
        return "nothing to do"
    if row.expires_at > datetime.now(UTC) + timedelta(minutes=1):
        _schedule(flows.jobs, row)  # renewed after this run was due: the new end stands
        return "renewed"
    try:
        flows.grants.revoke(domain_id, subscription_id)
    except (Conflict, NotFound):
        log.info("subscription_already_revoked", subscription=subscription_id)
    text = f"Your {row.days}-day access to *{row.asset_name}* has ended and was revoked."
    # The end and the word to the requester commit together.
    if not access.end(
        subscription_id,
        then=lambda session: tell(flows, row, text, f"subscriptions.expired:{subscription_id}", session=session),
    ):
        return "nothing to do"
    flows.audit.record(
        actor="opsbot-expiry",
        action="subscriptions.expire",
        target=subscription_id,
        result="ok",
        detail={"asset": row.asset_name, "request": row.request_id, "days": row.days},
    )
    return "revoked"


def remind(flows: Subscriptions, domain_id: str, subscription_id: str) -> str:
    """The stored task a day before the end: tell the requester, with a button to ask for renewal."""
    row = flows.timed.get(subscription_id)
    if row is None or row.status != ACTIVE:
        return "nothing to do"
    ref = ids.AccessRef(domain=domain_id, subscription=subscription_id, owner=row.owner_project_id)
    tell(
        flows,
        row,
        f"Your access to {row.asset_name} ends {row.expires_at:%Y-%m-%d %H:%M} UTC.",
        f"subscriptions.expiry_reminder:{subscription_id}:{row.expires_at.isoformat()}",
        blocks.expiry_reminder(row, ref),
    )
    return "reminded"


def ask_renewal(flows: Subscriptions, ref: ids.AccessRef, user_id: str) -> str:
    """The requester asks to keep access: the approvers get a card to extend it; returns what to tell them."""
    access = flows.timed
    row = access.get(ref.subscription)
    if row is None or row.status == ENDED:
        return "This access has already ended; ask for it again in DataZone."
    channel = flows.channel_for(row.owner_project_id)
    if channel is None:
        return "No channel is set up for this project's approvers; ask an opsbot admin."
    card = message.post(
        channel,
        f"Renewal asked for {row.asset_name}",
        blocks.renewal_card(row, ref, user_id),
        key=f"subscriptions.renewal:{ref.subscription}:{row.expires_at.isoformat()}",
    )
    if not access.ask_renewal(ref.subscription, user_id, then=lambda session: flows.messages.send(card, session)):
        return "Renewal was already asked for; the approvers have it."
    flows.audit.record(actor=user_id, action="subscriptions.ask_renewal", target=ref.subscription, result="ok")
    return f"Asked the approvers to extend your access to {row.asset_name} by {count(row.days, 'day')}."


def extend(flows: Subscriptions, ref: ids.AccessRef, user_id: str) -> str:
    """An approver extends time-bound access by its approved duration; returns the outcome to show."""
    access = flows.timed
    row = access.get(ref.subscription)
    if row is None or row.status == ENDED:
        return f"Access to {row.asset_name if row else 'this asset'} has already ended."
    may_extend(flows.access, flows.audit, user_id, ref.subscription, row.owner_project_id, row.requester_slack)
    until = access.extend(ref.subscription, row.expires_at)
    if until is None:
        return "Someone else has just extended or ended this access."
    extended = access.get(ref.subscription)
    assert extended is not None
    _schedule(flows.jobs, extended)
    flows.audit.record(
        actor=user_id,
        action="subscriptions.extend",
        target=ref.subscription,
        result="ok",
        detail={"until": until.isoformat(), "days": row.days},
    )
    tell(
        flows,
        row,
        f"<@{user_id}> extended your access to *{row.asset_name}* until {until:%Y-%m-%d %H:%M} UTC.",
        f"subscriptions.extended:{ref.subscription}:{until.isoformat()}",
    )
    return f"Extended by <@{user_id}> until {until:%Y-%m-%d %H:%M} UTC."
