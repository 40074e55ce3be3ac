"""Slack side of /subscriptions: the command, the card's buttons, the decision modals, and event intake."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from slack_sdk import WebClient

from bot.authz import any_approver, anyone, project_approver
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput
from bot.inbox.envelope import InboundEvent
from bot.registry import Registry
from handlers.subscriptions import blocks, ids
from handlers.subscriptions.decisions import decide, decided_elsewhere
from handlers.subscriptions.intake import intake
from handlers.subscriptions.service import SubscriptionService
from handlers.subscriptions.store import PENDING, CardStore

REQUEST_ID = re.compile(r"^[a-zA-Z0-9_-]{1,36}$")


def router(pending: Handler | None = None, show: Handler | None = None) -> CommandRouter:
    """/subscriptions and its forms; the handlers are bound to deps at registration."""
    return CommandRouter(
        command="/subscriptions",
        summary="DataZone subscription requests to your data",
        default="pending",
        subcommands=[
            Subcommand("pending", "pending requests you can decide", anyone, handler=pending),
            Subcommand("show", "one request in full", anyone, "<request-id>", handler=show),
            Subcommand("approve", "approve a request", any_approver, "<request-id> [comment]"),
            Subcommand("reject", "reject a request with a reason", any_approver, "<request-id> <reason>"),
            Subcommand("access", "who has access to an asset", anyone, "<asset>"),
            Subcommand("revoke", "revoke a subscription", any_approver, "<subscription-id> [reason]"),
        ],
    )


def _ref(raw: Any) -> ids.RequestRef | None:
    try:
        return ids.RequestRef.model_validate_json(raw) if isinstance(raw, str) else None
    except ValidationError:
        return None


def _owner_of_button(body: dict[str, Any]) -> str | None:
    ref = _ref((body.get("actions") or [{}])[0].get("value"))
    return ref.owner if ref else None


def _owner_of_modal(body: dict[str, Any]) -> str | None:
    ref = _ref((body.get("view") or {}).get("private_metadata"))
    return ref.owner if ref else None


def _text(body: dict[str, Any], block: str, action: str) -> str:
    value = body["view"]["state"]["values"].get(block, {}).get(action, {}).get("value")
    return (value or "").strip()


def register(registry: Registry) -> None:
    """Register /subscriptions, the card's buttons and modals, and the 'Subscription Request Created' route."""
    deps = registry.deps
    service = SubscriptionService(deps.aws, deps.access.policy)
    store = CardStore(deps.db)

    def domain() -> str:
        if not deps.settings.datazone_domain_id:
            raise BadInput("opsbot has no DataZone domain yet: an admin sets OPSBOT_DATAZONE_DOMAIN_ID.")
        return deps.settings.datazone_domain_id

    def pending(invocation: Invocation) -> None:
        """The caller's queue: requests for the projects they approve; everything for admins."""
        user = invocation.command.user_id
        admin = deps.access.is_admin(user)
        projects = None if admin else deps.access.approver_projects(user)
        if projects == []:
            invocation.respond(
                response_type="ephemeral", text="You approve for no DataZone project, so no requests wait for you."
            )
            return
        summaries = service.pending(domain(), projects)
        scope = "in the domain" if admin else "for your projects"
        invocation.respond(
            response_type="ephemeral", text=f"{len(summaries)} pending requests", blocks=blocks.queue(summaries, scope)
        )

    def show(invocation: Invocation) -> None:
        """One request as its card."""
        request_id = invocation.args.split()[0] if invocation.args.split() else ""
        if not REQUEST_ID.fullmatch(request_id):
            raise BadInput("Give a request id: `/subscriptions show <request-id>`.")
        view = service.load(domain(), request_id)
        card = (
            blocks.card(view)
            if view.status == "PENDING"
            else blocks.decided_card(view, view.status.lower(), view.reviewer or "DataZone", view.decision_comment)
        )
        invocation.respond(response_type="ephemeral", text=f"Subscription request {request_id}", blocks=card)

    bound = router(pending, show)
    registry.command(bound)

    def on_created(event: InboundEvent) -> None:
        """A new request: EventBridge names it in detail.metadata; everything else is fetched."""
        metadata = event.detail.get("metadata") or {}
        domain, request = metadata.get("domain"), metadata.get("id")
        if isinstance(domain, str) and isinstance(request, str):
            intake(deps, service, store, domain, request)

    registry.on_event("aws.datazone", "Subscription Request Created", on_created)

    def on_decided(event: InboundEvent) -> None:
        """Decided outside Slack: the card shows the outcome unless the bot made the decision itself."""
        metadata = event.detail.get("metadata") or {}
        domain, request = metadata.get("domain"), metadata.get("id")
        if not (isinstance(domain, str) and isinstance(request, str)):
            return
        card = store.get(request)
        if card is not None and card.status == PENDING:
            decided_elsewhere(service, store, deps.slack, domain, request)

    for decided in ("Subscription Request Accepted", "Subscription Request Rejected"):
        registry.on_event("aws.datazone", decided, on_decided)

    def open_modal(approve: bool) -> Any:
        def listener(ack: Any, body: dict[str, Any], client: WebClient) -> None:
            ack()
            with registry.reporting(body, client):
                ref = ids.RequestRef.model_validate_json(body["actions"][0]["value"])
                view = service.load(ref.domain, ref.request)
                modal = (blocks.approve_modal if approve else blocks.reject_modal)(ref, view.asset_name)
                client.views_open(trigger_id=body["trigger_id"], view=modal)

        listener.__name__ = f"open_{'approve' if approve else 'reject'}_modal"
        return listener

    button_rule = project_approver(_owner_of_button)
    registry.action(ids.APPROVE, button_rule, open_modal(approve=True))
    registry.action(ids.REJECT, button_rule, open_modal(approve=False))

    def submit(approve: bool) -> Any:
        def listener(ack: Any, body: dict[str, Any], client: WebClient) -> None:
            text = (
                _text(body, ids.COMMENT_BLOCK, ids.COMMENT_ACTION)
                if approve
                else _text(body, ids.REASON_BLOCK, ids.REASON_ACTION)
            )
            if not approve and len(text) < 3:
                ack(response_action="errors", errors={ids.REASON_BLOCK: "Say why, so the requester can act on it."})
                return
            ack()
            with registry.reporting(body, client):
                decide(deps, service, store, client, body, approve, text)

        listener.__name__ = f"submit_{'approve' if approve else 'reject'}"
        return listener

    modal_rule = project_approver(_owner_of_modal)
    registry.view(ids.APPROVE_MODAL, modal_rule, submit(approve=True))
    registry.view(ids.REJECT_MODAL, modal_rule, submit(approve=False))
