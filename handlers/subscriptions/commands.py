"""The /subscriptions forms: the queue, one request, approve and reject by id, who has access, revoke, and the
consumer's own: their requests and subscriptions, and leaving one."""

from __future__ import annotations

from bot import paging
from bot.arguments import AssetArgs, parse
from bot.authz import any_approver, anyone
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput, Conflict
from handlers.subscriptions import blocks, ids
from handlers.subscriptions.arguments import ApproveArgs, LeaveArgs, RejectArgs, RequestArgs, RevokeArgs
from handlers.subscriptions.authority import any_decider, consumer, require_approver
from handlers.subscriptions.decisions import Decider, Decision, decide
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.leaving import leaving
from handlers.subscriptions.pages import (
    ACCESS_NOUN,
    MINE_NOUN,
    PENDING_NOUN,
    WindowOf,
    show_access,
    show_mine,
    show_pending,
)
from handlers.subscriptions.scopes import ids_of

FORMS = [
    ("pending", "pending requests you can decide, a page at a time", anyone, "[page=N]"),
    ("show", "one request in full", anyone, "<request-id>"),
    (
        "approve",
        "approve a request (`30d` grants 30 days; `filter=` grants only those asset filters)",
        any_decider,
        "<request-id> [filter=<name>[,<name>…]] [<N>d] [comment]",
    ),
    ("reject", "reject a request with a reason", any_decider, "<request-id> <reason>"),
    ("access", "who has access to an asset, a page at a time", anyone, "<asset> [page=N]"),
    ("revoke", "revoke a subscription (asks to confirm)", any_approver, "<subscription-id> [reason]"),
    ("mine", "your projects' requests and subscriptions, a page at a time", anyone, "[page=N]"),
    ("leave", "give your project's subscription back (asks to confirm)", consumer, "<subscription-id>"),
    ("reviews", "open access reviews: how many answered, and the deadline", any_approver, ""),
]
USAGE = {name: Subcommand(name, summary, rule, args).usage("/subscriptions") for name, summary, rule, args in FORMS}


def router(handlers: dict[str, Handler] | None = None) -> CommandRouter:
    """/subscriptions and its forms; the handlers are bound to the capability's ports at registration."""
    bound = handlers or {}
    return CommandRouter(
        command="/subscriptions",
        summary="DataZone subscription requests to your data",
        default="pending",
        subcommands=[
            Subcommand(name, summary, rule, args, handler=bound.get(name)) for name, summary, rule, args in FORMS
        ],
    )


def _numbered_page(form: str, noun: tuple[str, str], invocation: Invocation) -> WindowOf:
    """The page a form that takes only a page number asks for (`page=N`); anything else gets the usage."""
    rest, number = paging.take_page(invocation.args, USAGE[form])
    if rest:
        raise BadInput(f"`/subscriptions {form}` takes only a page number.\nUsage: `{USAGE[form]}`")
    return lambda total: paging.Window.numbered(
        number, blocks.MAX_QUEUE_LINES, total, command=f"/subscriptions {form}", noun=noun
    )


def pending(flows: Subscriptions, invocation: Invocation) -> None:
    """The caller's queue, a page at a time."""
    window_of = _numbered_page("pending", PENDING_NOUN, invocation)
    show_pending(flows, invocation.command.user_id, window_of, invocation.respond, replace=False)


def show(flows: Subscriptions, invocation: Invocation) -> None:
    """One request as its card."""
    args = parse(RequestArgs, invocation.args, USAGE["show"])
    view = flows.requests.load(flows.domain(), args.request_id)
    card = (
        blocks.card(view)
        if view.status == "PENDING"
        else blocks.decided_card(
            view,
            view.status.lower(),
            flows.requests.reviewer(view.domain_id, view.reviewer),
            view.decision_comment,
            view.decided_at,
        )
    )
    invocation.respond(response_type="ephemeral", text=f"Subscription request {args.request_id}", blocks=card)


def approve(flows: Subscriptions, invocation: Invocation) -> None:
    """Approve by id, optionally for N days."""
    args = parse(ApproveArgs, invocation.args, USAGE["approve"])
    filter_ids: tuple[str, ...] = ()
    if args.filters:
        view = flows.requests.load(flows.domain(), args.request_id)
        filter_ids = ids_of(flows.requests.filters(view.domain_id, view.asset_id), args.filters, USAGE["approve"])
    _decide(flows, invocation, args.request_id, Decision(True, args.comment, args.days, filter_ids))


def reject(flows: Subscriptions, invocation: Invocation) -> None:
    """Reject by id with a reason."""
    args = parse(RejectArgs, invocation.args, USAGE["reject"])
    _decide(flows, invocation, args.request_id, Decision(False, args.reason))


def _decide(flows: Subscriptions, invocation: Invocation, request_id: str, decision: Decision) -> None:
    view = flows.requests.load(flows.domain(), request_id)
    user = invocation.command.user_id
    told: list[str] = []
    decide(
        flows,
        ids.RequestRef(domain=flows.domain(), request=request_id, owner=view.owner_project_id),
        Decider(user, str(invocation.body.get("user_name") or user)),
        decision,
        told.append,
    )
    verb = "Approved" if decision.approve else "Rejected"
    text = "\n".join(told) or f"{verb} the request for {view.asset_name}."
    invocation.respond(response_type="ephemeral", text=text)


def access(flows: Subscriptions, invocation: Invocation) -> None:
    """Who has access to an asset, a page at a time."""
    rest, number = paging.take_page(invocation.args, USAGE["access"])
    args = parse(AssetArgs, rest, USAGE["access"])
    show_access(
        flows,
        args.asset,
        lambda total: paging.Window.numbered(
            number, blocks.MAX_QUEUE_LINES, total, command=f"/subscriptions access {args.asset}", noun=ACCESS_NOUN
        ),
        invocation.respond,
        replace=False,
    )


def revoke(flows: Subscriptions, invocation: Invocation) -> None:
    """Show what would be revoked, with a confirm button; only the owning project's approvers or admins."""
    args = parse(RevokeArgs, invocation.args, USAGE["revoke"])
    subscription = flows.grants.get(flows.domain(), args.subscription_id)
    user = invocation.command.user_id
    require_approver(
        flows.access, flows.audit, user, subscription.owner_project_id, "subscriptions.revoke", args.subscription_id
    )
    if subscription.status != "APPROVED":
        raise Conflict(f"Subscription {args.subscription_id} is {subscription.status.lower()}, not active.")
    ref = ids.AccessRef(
        domain=flows.domain(), subscription=subscription.subscription_id, owner=subscription.owner_project_id
    )
    invocation.respond(
        response_type="ephemeral",
        text=f"Revoke access to {subscription.asset_name}?",
        blocks=blocks.revoke_confirm(subscription, ref, args.reason),
    )


def mine(flows: Subscriptions, invocation: Invocation) -> None:
    """The requests and subscriptions of the caller's projects, a page at a time."""
    window_of = _numbered_page("mine", MINE_NOUN, invocation)
    show_mine(flows, invocation.command.user_id, window_of, invocation.respond, replace=False)


def leave(flows: Subscriptions, invocation: Invocation) -> None:
    """Show what would be given back, with a confirm button; only members of the subscribing project or admins."""
    args = parse(LeaveArgs, invocation.args, USAGE["leave"])
    domain = flows.domain()
    subscription, active = leaving(flows, domain, args.subscription_id, invocation.command.user_id)
    if not active:
        raise Conflict(f"Subscription {args.subscription_id} is {subscription.status.lower()}, not active.")
    ref = ids.LeaveRef(domain=domain, subscription=subscription.subscription_id)
    invocation.respond(
        response_type="ephemeral",
        text=f"Give back access to {subscription.asset_name}?",
        blocks=blocks.leave_confirm(subscription, ref),
    )
