"""The buttons of /subscriptions: a card's approve and reject, renewals, revoke's confirm and cancel, leaving (its
ask and its confirm), page turns."""

from __future__ import annotations

from functools import partial

from bot import paging
from bot.errors import Conflict, NotFound
from bot.registry import Interaction
from bot.replies import tell_user
from handlers.subscriptions import blocks, expiry, ids
from handlers.subscriptions.authority import may_decide
from handlers.subscriptions.chains import Chain, chain_of, step_name
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.leaving import leave, leaving
from handlers.subscriptions.pages import show_access, show_mine, show_pending
from handlers.subscriptions.service import RequestView


def open_approve_modal(flows: Subscriptions, interaction: Interaction) -> None:
    """The approve modal: a comment, how long access lasts, and for an asset with filters, which to grant."""
    ref, view, chain = _decidable(flows, interaction)
    policy = flows.access.policy.subscriptions
    # The last step grants the access, so it alone chooses the filters: earlier steps list none.
    grants = chain.at_last_step
    filters = flows.requests.filters(ref.domain, view.asset_id) if grants else []
    required = policy.requires_scope(view.verdict.classification)
    step = step_name(chain, chain.current, flows.access) if chain.is_chain else None
    modal = blocks.approve_modal(ref, view.asset_name, policy.max_access_days, filters, required, step, grants)
    interaction.client.views_open(trigger_id=interaction.body["trigger_id"], view=modal)


def open_reject_modal(flows: Subscriptions, interaction: Interaction) -> None:
    """The reject modal: the reason the requester is told."""
    ref, view, _ = _decidable(flows, interaction)
    modal = blocks.reject_modal(ref, view.asset_name)
    interaction.client.views_open(trigger_id=interaction.body["trigger_id"], view=modal)


def _decidable(flows: Subscriptions, interaction: Interaction) -> tuple[ids.RequestRef, RequestView, Chain]:
    # Said before the modal opens, not after the approver has written a comment.
    ref = ids.RequestRef.model_validate_json(interaction.body["actions"][0]["value"])
    view = flows.requests.load(ref.domain, ref.request)
    chain = chain_of(flows.access, flows.cards, ref.request, view.verdict.classification, view.owner_project_id)
    may_decide(
        flows.access,
        flows.audit,
        interaction.user_id,
        view.owner_project_id,
        view.request_id,
        view.requester_slack,
        chain,
    )
    return ref, view, chain


def renew(flows: Subscriptions, interaction: Interaction) -> None:
    """The requester asks to keep time-bound access."""
    body = interaction.body
    ref = ids.AccessRef.model_validate_json(body["actions"][0]["value"])
    tell_user(interaction.client, body, expiry.ask_renewal(flows, ref, body["user"]["id"]))


def extend(flows: Subscriptions, interaction: Interaction) -> None:
    """An approver extends time-bound access; the renewal card shows the outcome."""
    body = interaction.body
    ref = ids.AccessRef.model_validate_json(body["actions"][0]["value"])
    outcome = expiry.extend(flows, ref, body["user"]["id"])
    interaction.respond(replace_original=True, text=outcome)


def confirm_revoke(flows: Subscriptions, interaction: Interaction) -> None:
    """Revoke after the confirm step."""
    body, respond = interaction.body, interaction.respond
    ref = ids.RevokeRef.model_validate_json(body["actions"][0]["value"])
    user = body["user"]["id"]
    try:
        flows.grants.revoke(ref.domain, ref.subscription)
    except (Conflict, NotFound) as gone:
        respond(replace_original=True, text=gone.message)
        return
    timed = flows.timed.get(ref.subscription)
    if timed is not None and flows.timed.end(ref.subscription):
        flows.jobs.cancel(f"{expiry.EXPIRE}.{ref.subscription}")
        flows.jobs.cancel(f"{expiry.REMIND}.{ref.subscription}")
    flows.audit.record(
        actor=user, action="subscriptions.revoke", target=ref.subscription, result="ok", detail={"reason": ref.reason}
    )
    respond(replace_original=True, text=f"Revoked subscription `{ref.subscription}`.")
    if timed is not None:
        text = f"<@{user}> revoked your access to *{timed.asset_name}*. {ref.reason}".strip()
        expiry.tell(flows, timed, text, f"subscriptions.revoked:{ref.subscription}")


def ask_leave(flows: Subscriptions, interaction: Interaction) -> None:
    """A Leave button of `mine`: the confirm step, as a message of its own under the list (which stays)."""
    ref = ids.LeaveRef.model_validate_json(interaction.body["actions"][0]["value"])
    subscription, active = leaving(flows, ref.domain, ref.subscription, interaction.user_id)
    if not active:
        text = f"Subscription `{ref.subscription}` is {subscription.status.lower()}, not active."
        interaction.respond(response_type="ephemeral", replace_original=False, text=text)
        return
    interaction.respond(
        response_type="ephemeral",
        replace_original=False,
        text=f"Give back access to {subscription.asset_name}?",
        blocks=blocks.leave_confirm(subscription, ref),
    )


def confirm_leave(flows: Subscriptions, interaction: Interaction) -> None:
    """Leave after the confirm step; the prompt shows the outcome."""
    ref = ids.LeaveRef.model_validate_json(interaction.body["actions"][0]["value"])
    try:
        outcome = leave(flows, ref, interaction.user_id)
    except (Conflict, NotFound) as gone:
        outcome = gone.message
    interaction.respond(replace_original=True, text=outcome)


def cancel(interaction: Interaction) -> None:
    """Drop a confirm prompt."""
    interaction.respond(delete_original=True)


def turn_pending(flows: Subscriptions, interaction: Interaction) -> None:
    """Another page of the presser's queue, in place of the one clicked."""
    body = interaction.body
    state = ids.PENDING_PAGES.state(ids.PendingPage, body, "/subscriptions pending")
    turned = partial(paging.Window.at, state.offset, blocks.MAX_QUEUE_LINES)
    show_pending(flows, body["user"]["id"], turned, interaction.respond, replace=True)


def turn_access(flows: Subscriptions, interaction: Interaction) -> None:
    """Another page of who has access to the same asset, in place of the one clicked."""
    state = ids.ACCESS_PAGES.state(ids.AccessPage, interaction.body, "/subscriptions access <asset>")
    turned = partial(paging.Window.at, state.offset, blocks.MAX_QUEUE_LINES)
    show_access(flows, state.asset, turned, interaction.respond, replace=True)


def turn_mine(flows: Subscriptions, interaction: Interaction) -> None:
    """Another page of the presser's own requests and subscriptions, in place of the one clicked."""
    body = interaction.body
    state = ids.MINE_PAGES.state(ids.MinePage, body, "/subscriptions mine")
    turned = partial(paging.Window.at, state.offset, blocks.MAX_QUEUE_LINES)
    show_mine(flows, interaction.user_id, turned, interaction.respond, replace=True)
