"""The paged lists of /subscriptions: a user's queue, who has access to an asset, and a consumer's own.

The command draws the first page and the page buttons draw the others, in place of the one clicked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot import paging
from bot.wording import count
from handlers.subscriptions import blocks
from handlers.subscriptions.authority import NO_MAPPING
from handlers.subscriptions.consumer import ACTIVE, PENDING, Holding, holdings
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.grants import Listing, Subscription
from handlers.subscriptions.queue import approves_anything, queue_of
from handlers.subscriptions.scopes import names_of, scope_text
from handlers.subscriptions.store import ENDED

PENDING_NOUN = ("pending request", "pending requests")
ACCESS_NOUN = ("active subscription", "active subscriptions")
MINE_NOUN = ("request or subscription", "requests and subscriptions")
# How a page is chosen once the list's length is known: by its number, or by where a button's page starts.
WindowOf = Callable[[int], paging.Window]


def show_pending(flows: Subscriptions, user: str, window_of: WindowOf, respond: Any, *, replace: bool) -> None:
    """A page of `user`'s queue: the requests whose waiting step they may decide; everything for admins.

    The queue is always the presser's own, so a page button carries nothing that widens what anyone sees.
    """
    if not approves_anything(flows.access, user):
        respond(
            response_type="ephemeral",
            replace_original=replace,
            text="You approve for no DataZone project and no approval step, so no requests wait for you.",
        )
        return
    # DataZone lists requests without counting them, so the queue is read whole and cut here.
    waiting = queue_of(flows, flows.domain(), user)
    window = window_of(len(waiting))
    scope = "in the domain" if flows.access.is_admin(user) else "waiting for you"
    respond(
        response_type="ephemeral",
        replace_original=replace,
        text=blocks.queue_text(len(waiting)),
        blocks=blocks.queue(window.cut(waiting), window, scope),
    )


def show_access(flows: Subscriptions, asset: str, window_of: WindowOf, respond: Any, *, replace: bool) -> None:
    """A page of the active subscriptions to an asset: who, since when, approved by whom, grant, end date."""
    domain = flows.domain()
    listing = flows.grants.listing(domain, asset)
    # DataZone lists subscriptions without counting them, so they are read whole and cut here.
    subscriptions = flows.grants.active(domain, listing)
    window = window_of(len(subscriptions))
    shown = window.cut(subscriptions)
    timed = flows.timed.for_subscriptions([s.subscription_id for s in shown])
    respond(
        response_type="ephemeral",
        replace_original=replace,
        text=f"{count(len(subscriptions), *ACCESS_NOUN)} to {listing.asset_name}",
        blocks=blocks.access_list(
            listing,
            shown,
            window,
            asset,
            timed,
            deciders(flows, domain, shown),
            scopes(flows, domain, listing, shown),
        ),
    )


def scopes(flows: Subscriptions, domain: str, listing: Listing, shown: list[Subscription]) -> dict[str, str]:
    # Each shown subscription's scope by subscription id; the asset's filters are read only when one is scoped.
    scoped = [sub for sub in shown if sub.filter_ids]
    filters = flows.requests.filters(domain, listing.asset_id, valid_only=False) if scoped else []
    return {sub.subscription_id: scope_text(names_of(filters, sub.filter_ids)) for sub in shown}


def deciders(flows: Subscriptions, domain: str, shown: list[Subscription]) -> dict[str, str]:
    # Who approved each shown subscription, by request id: the Slack user who decided on the card, else DataZone's.
    deciders: dict[str, str] = {}
    named: dict[str, str] = {}
    for sub in shown:
        card = flows.cards.get(sub.request_id) if sub.request_id else None
        if card is not None and card.decided_by and card.decided_by.startswith(("U", "W")):
            deciders[sub.request_id or ""] = card.decided_by
        elif sub.request_id and sub.approved_by != "unknown":
            # Approved outside Slack: DataZone's user id, named as the policy's people map allows (once per user).
            if sub.approved_by not in named:
                named[sub.approved_by] = flows.requests.reviewer(domain, sub.approved_by)
            deciders[sub.request_id or ""] = named[sub.approved_by]
    return deciders


def show_mine(flows: Subscriptions, user: str, window_of: WindowOf, respond: Any, *, replace: bool) -> None:
    """A page of the requests and subscriptions of `user`'s projects: status, approver, when decided, end date.

    Always the presser's own, so a page button carries nothing that widens what anyone sees.
    """

    def say(text: str, page_blocks: list[dict[str, Any]] | None = None) -> None:
        extra = {"blocks": page_blocks} if page_blocks is not None else {}
        respond(response_type="ephemeral", replace_original=replace, text=text, **extra)

    if user not in flows.access.policy.people:
        say(NO_MAPPING)
        return
    domain = flows.domain()
    projects = flows.requests.member_projects(domain, user)
    if not projects:
        say(
            "You are a member of no DataZone project that opsbot can see, so you have no requests or subscriptions "
            "here. A project's owner adds you in DataZone."
        )
        return
    # DataZone lists without counting, so everything is read and cut here.
    items = holdings(flows, domain, projects)
    window = window_of(len(items))
    shown = window.cut(items)
    page = blocks.mine(shown, window, domain, approvers(flows, domain, shown), ends(flows, shown))
    say(blocks.mine_text(len(items)), page)


def approvers(flows: Subscriptions, domain: str, shown: list[Holding]) -> dict[Holding, str]:
    """Who decided each decided line: the Slack user who decided on the card, else DataZone's reviewer, named as
    the policy's `people` map allows (each DataZone user looked up once)."""
    named: dict[str, str] = {}
    found: dict[Holding, str] = {}
    for item in shown:
        if item.state == PENDING:
            continue
        card = flows.cards.get(item.request_id) if item.request_id else None
        if card is not None and card.decided_by and card.decided_by.startswith(("U", "W")):
            found[item] = f"<@{card.decided_by}>"
        elif item.reviewer:
            if item.reviewer not in named:
                named[item.reviewer] = flows.requests.reviewer(domain, item.reviewer)
            found[item] = named[item.reviewer]
    return found


def ends(flows: Subscriptions, shown: list[Holding]) -> dict[str, datetime]:
    """When each shown active subscription's time-bound access ends, by subscription id (none: no end date)."""
    active = [item.subscription_id for item in shown if item.state == ACTIVE and item.subscription_id]
    timed = flows.timed.for_subscriptions(active) if active else {}
    return {sid: row.expires_at for sid, row in timed.items() if row.status != ENDED}
