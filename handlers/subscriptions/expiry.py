"""Time-bound access: an approval for N days schedules the revoke and a reminder; renewals push the end back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.orm import Session

from bot.errors import Conflict, NotFound
from bot.kernel import Kernel
from bot.outbox import message
from bot.policy import SubscriptionPolicy
from bot.wording import count
from handlers.subscriptions import blocks, ids, messages
from handlers.subscriptions.authority import may_extend
from handlers.subscriptions.grants import GrantService
from handlers.subscriptions.messages import channel_for
from handlers.subscriptions.service import RequestView
from handlers.subscriptions.store import ACTIVE, ENDED, AccessStore, CardStore, TimedAccess

log = structlog.get_logger(__name__)

EXPIRE, REMIND = "subscriptions.expire", "subscriptions.expiry_reminder"
REMIND_BEFORE = timedelta(days=1)


def days_for(policy: SubscriptionPolicy, asked: int | None) -> int | None:
    """How long access lasts: what the approver chose, capped by the policy's maximum, which is also the default."""
    cap = policy.max_access_days
    if asked is None:
        return cap
    return min(asked, cap) if cap else asked


def _schedule(deps: Kernel, row: TimedAccess) -> None:
    # Job ids name the subscription, so a renewal replaces both jobs rather than adding more.
    deps.jobs.at(f"{EXPIRE}.{row.subscription_id}", EXPIRE, row.expires_at, row.domain_id, row.subscription_id)
    reminder = row.expires_at - REMIND_BEFORE
    if reminder > datetime.now(UTC):
        deps.jobs.at(f"{REMIND}.{row.subscription_id}", REMIND, reminder, row.domain_id, row.subscription_id)
    else:
        deps.jobs.cancel(f"{REMIND}.{row.subscription_id}")


def start(deps: Kernel, view: RequestView, days: int) -> datetime | None:
    """Record and schedule the end of the access an accepted request granted; returns when it ends."""
    subscription = GrantService(deps.aws).of_request(view.domain_id, view.request_id)
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
    AccessStore(deps.db).record(row)
    _schedule(deps, row)
    return row.expires_at


def tell(
    deps: Kernel,
    row: TimedAccess,
    text: str,
    key: str,
    blocks_: list[dict[str, object]] | None = None,
    session: Session | None = None,
) -> None:
    """Tell the requester through the outbox: a DM when mapped, else the request card's thread; once per `key`."""
    card = CardStore(deps.db).get(row.request_id)
    if session is None:
        with deps.db.session() as own:
            messages.tell_requester(deps, own, row.requester_slack, row.requester, card, text, key, blocks_)
        return
    messages.tell_requester(deps, session, row.requester_slack, row.requester, card, text, key, blocks_)


def expire(deps: Kernel, domain_id: str, subscription_id: str) -> str:
    """The stored task at the end of time-bound access: revoke once, however often it runs."""
    access = AccessStore(deps.db)
    row = access.get(subscription_id)
    if row is None or row.status == ENDED:
        return "nothing to do"
    if row.expires_at > datetime.now(UTC) + timedelta(minutes=1):
        _schedule(deps, row)  # renewed after this run was due: the new end stands
        return "renewed"
    try:
        GrantService(deps.aws).revoke(domain_id, subscription_id)
    except (Conflict, NotFound):
        log.info("subscription_already_revoked", subscription=subscription_id)
    text = f"Your {row.days}-day access to *{row.asset_name}* has ended and was revoked."
    # The end and the word to the requester commit together.
    if not access.end(
        subscription_id,
        then=lambda session: tell(deps, row, text, f"subscriptions.expired:{subscription_id}", session=session),
    ):
        return "nothing to do"
    deps.audit.record(
        actor="opsbot-expiry",
        action="subscriptions.expire",
        target=subscription_id,
        result="ok",
        detail={"asset": row.asset_name, "request": row.request_id, "days": row.days},
    )
    return "revoked"


def remind(deps: Kernel, domain_id: str, subscription_id: str) -> str:
    """The stored task a day before the end: tell the requester, with a button to ask for renewal."""
    row = AccessStore(deps.db).get(subscription_id)
    if row is None or row.status != ACTIVE:
        return "nothing to do"
    ref = ids.AccessRef(domain=domain_id, subscription=subscription_id, owner=row.owner_project_id)
    tell(
        deps,
        row,
        f"Your access to {row.asset_name} ends {row.expires_at:%Y-%m-%d %H:%M} UTC.",
        f"subscriptions.expiry_reminder:{subscription_id}:{row.expires_at.isoformat()}",
        blocks.expiry_reminder(row, ref),
    )
    return "reminded"


def ask_renewal(deps: Kernel, ref: ids.AccessRef, user_id: str) -> str:
    """The requester asks to keep access: the approvers get a card to extend it; returns what to tell them."""
    access = AccessStore(deps.db)
    row = access.get(ref.subscription)
    if row is None or row.status == ENDED:
        return "This access has already ended; ask for it again in DataZone."
    channel = channel_for(deps, row.owner_project_id)
    if channel is None:
        return "No channel is set up for this project's approvers; ask an opsbot admin."
    card = message.post(
        channel,
        f"Renewal asked for {row.asset_name}",
        blocks.renewal_card(row, ref, user_id),
        key=f"subscriptions.renewal:{ref.subscription}:{row.expires_at.isoformat()}",
    )
    if not access.ask_renewal(ref.subscription, user_id, then=lambda session: deps.messages.send(card, session)):
        return "Renewal was already asked for; the approvers have it."
    deps.audit.record(actor=user_id, action="subscriptions.ask_renewal", target=ref.subscription, result="ok")
    return f"Asked the approvers to extend your access to {row.asset_name} by {count(row.days, 'day')}."


def extend(deps: Kernel, ref: ids.AccessRef, user_id: str) -> str:
    """An approver extends time-bound access by its approved duration; returns the outcome to show."""
    access = AccessStore(deps.db)
    row = access.get(ref.subscription)
    if row is None or row.status == ENDED:
        return f"Access to {row.asset_name if row else 'this asset'} has already ended."
    may_extend(deps, user_id, ref.subscription, row.owner_project_id, row.requester_slack)
    until = access.extend(ref.subscription, row.expires_at)
    if until is None:
        return "Someone else has just extended or ended this access."
    extended = access.get(ref.subscription)
    assert extended is not None
    _schedule(deps, extended)
    deps.audit.record(
        actor=user_id,
        action="subscriptions.extend",
        target=ref.subscription,
        result="ok",
        detail={"until": until.isoformat(), "days": row.days},
    )
    tell(
        deps,
        row,
        f"<@{user_id}> extended your access to *{row.asset_name}* until {until:%Y-%m-%d %H:%M} UTC.",
        f"subscriptions.extended:{ref.subscription}:{until.isoformat()}",
    )
    return f"Extended by <@{user_id}> until {until:%Y-%m-%d %H:%M} UTC."
