"""Giving access back: a member of the subscribing project cancels its subscription, after a confirm step.

Cancelling is the subscriber's side in DataZone (revoking is the publisher's). Leaving ends any time-bound
bookkeeping, tells the publishing project's channel, and is audited.
"""

from __future__ import annotations

from bot.outbox import message
from handlers.subscriptions import expiry, ids
from handlers.subscriptions.authority import may_leave
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.grants import Subscription


def leaving(flows: Subscriptions, domain_id: str, subscription_id: str, user_id: str) -> tuple[Subscription, bool]:
    """The subscription `user_id` would leave, once they may (NotAllowed, audited, otherwise); and whether it is
    still active (only an active one can be left)."""
    subscription = flows.grants.get(domain_id, subscription_id)
    may_leave(
        flows.access,
        flows.audit,
        user_id,
        subscription_id,
        subscription.subscriber_project_id,
        _member_of(flows, domain_id, user_id, subscription.subscriber_project_id),
    )
    return subscription, subscription.status == "APPROVED"


def _member_of(flows: Subscriptions, domain_id: str, user_id: str, project_id: str | None) -> dict[str, str]:
    # Admins may leave any project's subscription: their memberships need not be read.
    if project_id is None or flows.access.is_admin(user_id):
        return {}
    return flows.requests.member_projects(domain_id, user_id)


def leave(flows: Subscriptions, ref: ids.LeaveRef, user_id: str) -> str:
    """Cancel the subscription for a member of its subscribing project (checked again on DataZone's record), end
    its time-bound bookkeeping, tell the publishing project's channel; returns what to tell the user."""
    subscription, active = leaving(flows, ref.domain, ref.subscription, user_id)
    if not active:
        return f"Subscription `{ref.subscription}` is {subscription.status.lower()}, not active: nothing to give back."
    flows.grants.cancel(ref.domain, ref.subscription)  # Conflict, NotFound: said to the user as they are
    timed = flows.timed.get(ref.subscription)
    if timed is not None and flows.timed.end(ref.subscription):
        flows.jobs.cancel(f"{expiry.EXPIRE}.{ref.subscription}")
        flows.jobs.cancel(f"{expiry.REMIND}.{ref.subscription}")
    flows.audit.record(
        actor=user_id,
        action="subscriptions.leave",
        target=ref.subscription,
        result="ok",
        detail={"asset": subscription.asset_name, "project": subscription.subscriber_project_id},
    )
    channel = flows.channel_for(subscription.owner_project_id)
    if channel is not None:
        text = (
            f":leftwards_arrow_with_hook: <@{user_id}> gave back the access of {subscription.subscriber} to "
            f"*{subscription.asset_name}* (subscription `{ref.subscription}` cancelled)."
        )
        flows.messages.send(message.post(channel, text, key=f"subscriptions.left:{ref.subscription}"))
    return f"You gave back access to *{subscription.asset_name}*: subscription `{ref.subscription}` is cancelled."
