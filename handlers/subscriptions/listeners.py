"""Slack side of /subscriptions: the command forms, the card's buttons and modals, renewals, and event intake."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import BaseModel, ValidationError

from bot import paging
from bot.arguments import AssetArgs, parse
from bot.authz import any_approver, anyone, project_approver
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput, Conflict, NotFound
from bot.inbox import datazone_events
from bot.inbox.envelope import InboundEvent
from bot.registry import Interaction, Registry
from bot.replies import tell_user
from bot.wording import count
from handlers.subscriptions import blocks, expiry, ids, messages
from handlers.subscriptions.arguments import ApproveArgs, RejectArgs, RequestArgs, RevokeArgs
from handlers.subscriptions.authority import may_decide, require_approver
from handlers.subscriptions.decisions import Decider, Decision, decide, show_outcome_from_datazone
from handlers.subscriptions.grants import GrantService
from handlers.subscriptions.intake import intake
from handlers.subscriptions.service import SubscriptionService
from handlers.subscriptions.store import PENDING, AccessStore, CardStore

# Home tab: the oldest few; the command pages through the rest.
HOME_LINES = 5
PENDING_NOUN = ("pending request", "pending requests")
ACCESS_NOUN = ("active subscription", "active subscriptions")
# How a page is chosen once the list's length is known: by its number, or by where a button's page starts.
WindowOf = Callable[[int], paging.Window]


def router(handlers: dict[str, Handler] | None = None) -> CommandRouter:
    """/subscriptions and its forms; the handlers are bound to deps at registration."""
    bound = handlers or {}
    forms = [
        ("pending", "pending requests you can decide, a page at a time", anyone, "[page=N]"),
        ("show", "one request in full", anyone, "<request-id>"),
        (
            "approve",
            "approve a request (a comment starting `30d` grants 30 days)",
            any_approver,
            "<request-id> [comment]",
        ),
        ("reject", "reject a request with a reason", any_approver, "<request-id> <reason>"),
        ("access", "who has access to an asset, a page at a time", anyone, "<asset> [page=N]"),
        ("revoke", "revoke a subscription (asks to confirm)", any_approver, "<subscription-id> [reason]"),
    ]
    return CommandRouter(
        command="/subscriptions",
        summary="DataZone subscription requests to your data",
        default="pending",
        subcommands=[
            Subcommand(name, summary, rule, args, handler=bound.get(name)) for name, summary, rule, args in forms
        ],
    )


def _typed(model: type[BaseModel], raw: Any) -> Any:
    try:
        return model.model_validate_json(raw) if isinstance(raw, str) else None
    except ValidationError:
        return None


def _owner_of_button(model: type[ids.RequestRef] | type[ids.AccessRef]) -> Callable[[dict[str, Any]], str | None]:
    def owner(body: dict[str, Any]) -> str | None:
        ref = _typed(model, (body.get("actions") or [{}])[0].get("value"))
        return ref.owner if ref else None

    return owner


def _owner_of_modal(body: dict[str, Any]) -> str | None:
    ref = _typed(ids.RequestRef, (body.get("view") or {}).get("private_metadata"))
    return ref.owner if ref else None


def _text(body: dict[str, Any], block: str, action: str) -> str:
    value = body["view"]["state"]["values"].get(block, {}).get(action, {}).get("value")
    return (value or "").strip()


def _days(body: dict[str, Any]) -> int | None:
    # "0" is the "No end date" option; anything unreadable falls back to the policy's default.
    selected = body["view"]["state"]["values"].get(ids.DAYS_BLOCK, {}).get(ids.DAYS_ACTION, {}).get("selected_option")
    value = (selected or {}).get("value", "")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= 3650 else None


def _comment(body: dict[str, Any], approve: bool) -> str:
    return (
        _text(body, ids.COMMENT_BLOCK, ids.COMMENT_ACTION)
        if approve
        else _text(body, ids.REASON_BLOCK, ids.REASON_ACTION)
    )


def _reason_given(body: dict[str, Any]) -> dict[str, str] | None:
    """A rejection keeps its modal open until it says why."""
    if len(_comment(body, approve=False)) < 3:
        return {ids.REASON_BLOCK: "Say why, so the requester can act on it."}
    return None


def register(registry: Registry) -> None:
    """Register /subscriptions, the buttons and modals, the renewal flow, events, and the Home section."""
    deps = registry.kernel
    service = SubscriptionService(deps.aws, deps.access.policy)
    grants = GrantService(deps.aws)
    store = CardStore(deps.db)
    access_store = AccessStore(deps.db)
    messages.register_callbacks(deps, store)
    usage = {sub.name: sub.usage("/subscriptions") for sub in router().subcommands}

    def domain() -> str:
        if not deps.settings.datazone_domain_id:
            raise BadInput("opsbot has no DataZone domain yet: an admin sets OPSBOT_DATAZONE_DOMAIN_ID.")
        return deps.settings.datazone_domain_id

    def show_pending(user: str, window_of: WindowOf, respond: Any, *, replace: bool) -> None:
        """A page of `user`'s queue: requests for the projects they approve; everything for admins.

        The queue is always the presser's own, so a page button carries nothing that widens what anyone sees.
        """
        admin = deps.access.is_admin(user)
        projects = None if admin else deps.access.approver_projects(user)
        if projects == []:
            respond(
                response_type="ephemeral",
                replace_original=replace,
                text="You approve for no DataZone project, so no requests wait for you.",
            )
            return
        # DataZone lists requests without counting them, so the queue is read whole and cut here.
        summaries = service.pending(domain(), projects)
        window = window_of(len(summaries))
        scope = "in the domain" if admin else "for your projects"
        respond(
            response_type="ephemeral",
            replace_original=replace,
            text=blocks.queue_text(len(summaries)),
            blocks=blocks.queue(window.cut(summaries), window, scope),
        )

    def pending(invocation: Invocation) -> None:
        """The caller's queue, a page at a time."""
        rest, number = paging.take_page(invocation.args, usage["pending"])
        if rest:
            raise BadInput(f"`/subscriptions pending` takes only a page number.\nUsage: `{usage['pending']}`")
        show_pending(
            invocation.command.user_id,
            lambda total: paging.Window.numbered(
                number, blocks.MAX_QUEUE_LINES, total, command="/subscriptions pending", noun=PENDING_NOUN
            ),
            invocation.respond,
            replace=False,
        )

    def show(invocation: Invocation) -> None:
        """One request as its card."""
        args = parse(RequestArgs, invocation.args, usage["show"])
        view = service.load(domain(), args.request_id)
        card = (
            blocks.card(view)
            if view.status == "PENDING"
            else blocks.decided_card(
                view,
                view.status.lower(),
                service.reviewer(view.domain_id, view.reviewer),
                view.decision_comment,
                view.decided_at,
            )
        )
        invocation.respond(response_type="ephemeral", text=f"Subscription request {args.request_id}", blocks=card)

    def decide_by_command(invocation: Invocation, request_id: str, decision: Decision) -> None:
        view = service.load(domain(), request_id)
        user = invocation.command.user_id
        told: list[str] = []
        decide(
            deps,
            service,
            store,
            ids.RequestRef(domain=domain(), request=request_id, owner=view.owner_project_id),
            Decider(user, str(invocation.body.get("user_name") or user)),
            decision,
            told.append,
        )
        verb = "Approved" if decision.approve else "Rejected"
        text = "\n".join(told) or f"{verb} the request for {view.asset_name}."
        invocation.respond(response_type="ephemeral", text=text)

    def approve(invocation: Invocation) -> None:
        """Approve by id, optionally for N days."""
        args = parse(ApproveArgs, invocation.args, usage["approve"])
        decide_by_command(invocation, args.request_id, Decision(True, args.comment, args.days))

    def reject(invocation: Invocation) -> None:
        """Reject by id with a reason."""
        args = parse(RejectArgs, invocation.args, usage["reject"])
        decide_by_command(invocation, args.request_id, Decision(False, args.reason))

    def show_access(asset: str, window_of: WindowOf, respond: Any, *, replace: bool) -> None:
        """A page of the active subscriptions to an asset: who, since when, approved by whom, grant, end date."""
        listing = grants.listing(domain(), asset)
        # DataZone lists subscriptions without counting them, so they are read whole and cut here.
        subscriptions = grants.active(domain(), listing)
        window = window_of(len(subscriptions))
        shown = window.cut(subscriptions)
        timed = access_store.for_subscriptions([s.subscription_id for s in shown])
        deciders, named = {}, {}
        for sub in shown:
            card = store.get(sub.request_id) if sub.request_id else None
            if card is not None and card.decided_by and card.decided_by.startswith(("U", "W")):
                deciders[sub.request_id or ""] = card.decided_by
            elif sub.request_id and sub.approved_by != "unknown":
                # Approved outside Slack: DataZone's user id, named as the policy's people map allows (once per user).
                if sub.approved_by not in named:
                    named[sub.approved_by] = service.reviewer(domain(), sub.approved_by)
                deciders[sub.request_id or ""] = named[sub.approved_by]
        respond(
            response_type="ephemeral",
            replace_original=replace,
            text=f"{count(len(subscriptions), *ACCESS_NOUN)} to {listing.asset_name}",
            blocks=blocks.access_list(listing, shown, window, asset, timed, deciders),
        )

    def access(invocation: Invocation) -> None:
        """Who has access to an asset, a page at a time."""
        rest, number = paging.take_page(invocation.args, usage["access"])
        args = parse(AssetArgs, rest, usage["access"])
        show_access(
            args.asset,
            lambda total: paging.Window.numbered(
                number, blocks.MAX_QUEUE_LINES, total, command=f"/subscriptions access {args.asset}", noun=ACCESS_NOUN
            ),
            invocation.respond,
            replace=False,
        )

    def revoke(invocation: Invocation) -> None:
        """Show what would be revoked, with a confirm button; only the owning project's approvers or admins."""
        args = parse(RevokeArgs, invocation.args, usage["revoke"])
        subscription = grants.get(domain(), args.subscription_id)
        user = invocation.command.user_id
        require_approver(deps, user, subscription.owner_project_id, "subscriptions.revoke", args.subscription_id)
        if subscription.status != "APPROVED":
            raise Conflict(f"Subscription {args.subscription_id} is {subscription.status.lower()}, not active.")
        ref = ids.AccessRef(
            domain=domain(), subscription=subscription.subscription_id, owner=subscription.owner_project_id
        )
        invocation.respond(
            response_type="ephemeral",
            text=f"Revoke access to {subscription.asset_name}?",
            blocks=blocks.revoke_confirm(subscription, ref, args.reason),
        )

    registry.command(
        router(
            {
                "pending": pending,
                "show": show,
                "approve": approve,
                "reject": reject,
                "access": access,
                "revoke": revoke,
            }
        )
    )

    def on_created(event: InboundEvent) -> None:
        """A new request: EventBridge names it in detail.metadata; everything else is fetched."""
        metadata = event.detail.get("metadata") or {}
        domain_id, request = metadata.get("domain"), metadata.get("id")
        if isinstance(domain_id, str) and isinstance(request, str):
            intake(deps, service, store, domain_id, request)

    registry.on_event(datazone_events.SOURCE, datazone_events.service_event("Subscription Request Created"), on_created)

    def on_decided(event: InboundEvent) -> None:
        """Decided outside Slack: the card shows the outcome unless the bot made the decision itself."""
        metadata = event.detail.get("metadata") or {}
        domain_id, request = metadata.get("domain"), metadata.get("id")
        if not (isinstance(domain_id, str) and isinstance(request, str)):
            return
        card = store.get(request)
        if card is not None and card.status == PENDING:
            show_outcome_from_datazone(deps, service, store, domain_id, request)

    for decided in ("Subscription Request Accepted", "Subscription Request Rejected"):
        registry.on_event(datazone_events.SOURCE, datazone_events.service_event(decided), on_decided)

    def open_modal(approve: bool) -> Any:
        def listener(interaction: Interaction) -> None:
            body, client = interaction.body, interaction.client
            ref = ids.RequestRef.model_validate_json(body["actions"][0]["value"])
            view = service.load(ref.domain, ref.request)
            # Said before the modal opens, not after the approver has written a comment.
            may_decide(deps, body["user"]["id"], view.owner_project_id, view.request_id, view.requester_slack)
            modal = (
                blocks.approve_modal(ref, view.asset_name, deps.access.policy.subscriptions.max_access_days)
                if approve
                else blocks.reject_modal(ref, view.asset_name)
            )
            client.views_open(trigger_id=body["trigger_id"], view=modal)

        listener.__name__ = f"open_{'approve' if approve else 'reject'}_modal"
        return listener

    button_rule = project_approver(_owner_of_button(ids.RequestRef))
    registry.action(ids.APPROVE, button_rule, open_modal(approve=True))
    registry.action(ids.REJECT, button_rule, open_modal(approve=False))

    def submit(approve: bool) -> Any:
        def listener(interaction: Interaction) -> None:
            body, client = interaction.body, interaction.client
            ref = ids.RequestRef.model_validate_json(body["view"]["private_metadata"])
            user = body["user"]
            decider = Decider(user["id"], user.get("username") or user["id"])
            decision = Decision(approve, _comment(body, approve), _days(body) if approve else None)
            decide(deps, service, store, ref, decider, decision, lambda message: tell_user(client, body, message))

        listener.__name__ = f"submit_{'approve' if approve else 'reject'}"
        return listener

    modal_rule = project_approver(_owner_of_modal)
    registry.view(ids.APPROVE_MODAL, modal_rule, submit(approve=True))
    registry.view(ids.REJECT_MODAL, modal_rule, submit(approve=False), check=_reason_given)

    def renew(interaction: Interaction) -> None:
        """The requester asks to keep time-bound access."""
        body, client = interaction.body, interaction.client
        ref = ids.AccessRef.model_validate_json(body["actions"][0]["value"])
        tell_user(client, body, expiry.ask_renewal(deps, ref, body["user"]["id"]))

    # Asking is harmless and the approvers decide, so anyone who holds the reminder may ask.
    registry.action(ids.RENEW, anyone, renew)

    def extend(interaction: Interaction) -> None:
        """An approver extends time-bound access; the renewal card shows the outcome."""
        body, respond = interaction.body, interaction.respond
        ref = ids.AccessRef.model_validate_json(body["actions"][0]["value"])
        outcome = expiry.extend(deps, ref, body["user"]["id"])
        respond(replace_original=True, text=outcome)

    registry.action(ids.EXTEND, project_approver(_owner_of_button(ids.AccessRef)), extend)

    def confirm_revoke(interaction: Interaction) -> None:
        """Revoke after the confirm step."""
        body, respond = interaction.body, interaction.respond
        ref = ids.RevokeRef.model_validate_json(body["actions"][0]["value"])
        user = body["user"]["id"]
        try:
            grants.revoke(ref.domain, ref.subscription)
        except (Conflict, NotFound) as gone:
            respond(replace_original=True, text=gone.message)
            return
        timed = access_store.get(ref.subscription)
        if timed is not None and access_store.end(ref.subscription):
            deps.jobs.cancel(f"{expiry.EXPIRE}.{ref.subscription}")
            deps.jobs.cancel(f"{expiry.REMIND}.{ref.subscription}")
        deps.audit.record(
            actor=user, action="subscriptions.revoke", target=ref.subscription, result="ok", detail=ref.reason
        )
        respond(replace_original=True, text=f"Revoked subscription `{ref.subscription}`.")
        if timed is not None:
            text = f"<@{user}> revoked your access to *{timed.asset_name}*. {ref.reason}".strip()
            expiry.tell(deps, timed, text, f"subscriptions.revoked:{ref.subscription}")

    registry.action(ids.CONFIRM_REVOKE, project_approver(_owner_of_button(ids.RevokeRef)), confirm_revoke)

    def cancel(interaction: Interaction) -> None:
        """Drop a confirm prompt."""
        respond = interaction.respond
        respond(delete_original=True)

    registry.action(ids.CANCEL, anyone, cancel)

    def turn_pending(interaction: Interaction) -> None:
        """Another page of the presser's queue, in place of the one clicked."""
        body, respond = interaction.body, interaction.respond
        state = ids.PENDING_PAGES.state(ids.PendingPage, body, "/subscriptions pending")
        turned = partial(paging.Window.at, state.offset, blocks.MAX_QUEUE_LINES)
        show_pending(body["user"]["id"], turned, respond, replace=True)

    # The pending form answers anyone (a reader hears that nothing waits for them), but a list with page
    # buttons is only ever drawn for an approver or an admin: so they alone may turn its pages.
    for action_id in ids.PENDING_PAGES.action_ids:
        registry.action(action_id, any_approver, turn_pending)

    def turn_access(interaction: Interaction) -> None:
        """Another page of who has access to the same asset, in place of the one clicked."""
        body, respond = interaction.body, interaction.respond
        state = ids.ACCESS_PAGES.state(ids.AccessPage, body, "/subscriptions access <asset>")
        turned = partial(paging.Window.at, state.offset, blocks.MAX_QUEUE_LINES)
        show_access(state.asset, turned, respond, replace=True)

    for action_id in ids.ACCESS_PAGES.action_ids:
        registry.action(action_id, router().form("access").rule, turn_access)

    def home(user_id: str) -> list[dict[str, Any]]:
        """The caller's pending approvals, oldest first."""
        admin = deps.access.is_admin(user_id)
        projects = None if admin else deps.access.approver_projects(user_id)
        if projects == [] or not deps.settings.datazone_domain_id:
            return []
        return blocks.home(service.pending(deps.settings.datazone_domain_id, projects), HOME_LINES)

    registry.home_section("Subscription requests", home)
