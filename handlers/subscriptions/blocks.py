"""Block Kit for subscription requests: the card, its decided form, and the approve and reject modals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.blockkit import (
    BUTTON_VALUE,
    HEADER_TEXT,
    OPTION_TEXT,
    SECTION_FIELD,
    SECTION_TEXT,
    button,
    context,
    join_within,
    section,
    truncate,
)
from bot.paging import Window
from bot.wording import age, count, mention, when
from handlers.subscriptions import ids
from handlers.subscriptions.consumer import ACTIVE, CANCELLED, PENDING, REJECTED, REVOKED, Holding
from handlers.subscriptions.grants import Listing, Subscription
from handlers.subscriptions.queue import Waiting
from handlers.subscriptions.scopes import MAX_FILTERS, AssetFilter, scope_text
from handlers.subscriptions.service import RequestView
from handlers.subscriptions.store import TimedAccess

# Slack cuts section text at 3,000 characters; the reason is the only free text of any length.
MAX_REASON = 1500


def _age(created_at: datetime, now: datetime) -> str:
    return age(now - created_at)


def _facts(view: RequestView, now: datetime, decided: bool = False) -> list[dict[str, Any]]:
    verdict = view.verdict
    fields = [
        f"*Asset*\n{view.asset_name}",
        f"*Publishing project*\n{view.owner_project_name}",
        f"*Requested by*\n{view.requester}" + (f" (<@{view.requester_slack}>)" if view.requester_slack else ""),
        f"*Classification*\n{verdict.classification or 'not set'}",
        f"*Data quality*\n{verdict.quality if verdict.quality is not None else 'not set'}",
        # A field holds 2,000 characters; an asset may carry more terms than that, and the card says how many.
        join_within(view.glossary_terms, SECTION_FIELD, prefix="*Glossary terms*\n")
        if view.glossary_terms
        else "*Glossary terms*\nnone",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Reason*\n{view.reason[:MAX_REASON]}"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": truncate(text, SECTION_FIELD)} for text in fields]},
    ]
    # A decided card says how long the request waited; `now` is then when it was decided.
    waited = f"waited {_age(view.created_at, now)}" if decided else f"waiting {_age(view.created_at, now)}"
    context = [f"Request `{view.request_id}`", waited]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]})
    for warning in verdict.warnings:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f":warning: {warning}"}]})
    return blocks


def _steps(steps: list[str] | None) -> list[dict[str, Any]]:
    # An approval chain's steps, one line each: done (who, when), waiting (whose turn), to come.
    return [section(truncate("\n".join(steps), SECTION_TEXT))] if steps else []


def card(
    view: RequestView, now: datetime | None = None, steps: list[str] | None = None, step: int | None = None
) -> list[dict[str, Any]]:
    """The card an approver decides on; in an approval chain, its progress (`steps`, one line a step) and the
    index of the step waiting (`step`), which the buttons carry."""
    now = now or datetime.now(UTC)
    ref = ids.RequestRef(domain=view.domain_id, request=view.request_id, owner=view.owner_project_id, step=step)
    value = ref.model_dump_json(exclude_none=True)
    return [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(f"Subscription request: {view.asset_name}", HEADER_TEXT)},
        },
        *_facts(view, now),
        *_steps(steps),
        {
            "type": "actions",
            "block_id": "decision",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.APPROVE,
                    "style": "primary",
                    "value": value,
                    "text": {"type": "plain_text", "text": "Approve"},
                },
                {
                    "type": "button",
                    "action_id": ids.REJECT,
                    "style": "danger",
                    "value": value,
                    "text": {"type": "plain_text", "text": "Reject"},
                },
            ],
        },
    ]


def decided_card(
    view: RequestView,
    outcome: str,
    by: str,
    comment: str | None,
    now: datetime | None = None,
    scope: tuple[str, ...] | None = None,
    steps: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The card once decided: what happened, who, when, and what an approval granted (`scope`: filter names, or
    the view's own), and an approval chain's steps (`steps`); no buttons."""
    now = now or datetime.now(UTC)
    icon = {"accepted": ":white_check_mark:", "auto_approved": ":white_check_mark:"}.get(outcome, ":no_entry_sign:")
    text = f"{icon} *{outcome.replace('_', ' ').capitalize()}* by {by} at {when(now)}"
    if outcome in ("accepted", "auto_approved"):
        text += " · " + truncate(scope_text(view.scope if scope is None else scope), SECTION_TEXT // 2)
    if comment:
        text += "\n>" + comment[:MAX_REASON].replace("\n", "\n>")
    return [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(f"Subscription request: {view.asset_name}", HEADER_TEXT)},
        },
        section(text),
        *_steps(steps),
        *_facts(view, now, decided=True),
    ]


def _modal(
    callback_id: str, title: str, submit: str, ref: ids.RequestRef, *modal_blocks: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": ref.model_dump_json(exclude_none=True),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": list(modal_blocks),
    }


DURATIONS = (1, 7, 30, 90, 180, 365)


def _option(days: int | None) -> dict[str, Any]:
    label = "No end date" if days is None else f"{days} day{'s' if days > 1 else ''}"
    return {"text": {"type": "plain_text", "text": label}, "value": str(days or 0)}


def _duration_block(max_days: int | None) -> dict[str, Any]:
    # With a policy maximum there is no open-ended option, and the maximum is the default.
    choices: list[int | None] = [d for d in DURATIONS if max_days is None or d < max_days]
    choices = [None, *choices] if max_days is None else [*choices, max_days]
    initial = _option(max_days)
    return {
        "type": "input",
        "block_id": ids.DAYS_BLOCK,
        "label": {"type": "plain_text", "text": "Access for"},
        "element": {
            "type": "static_select",
            "action_id": ids.DAYS_ACTION,
            "options": [_option(d) for d in choices],
            "initial_option": initial,
        },
    }


def _scope_block(filters: list[AssetFilter], required: bool) -> dict[str, Any]:
    # Optional unless the policy wants this classification scoped; choosing nothing grants the whole asset.
    hint = "Required by the policy for this classification." if required else "Choose none to grant the whole asset."
    return {
        "type": "input",
        "block_id": ids.SCOPE_BLOCK,
        "optional": not required,
        "label": {"type": "plain_text", "text": "Grant only these filters"},
        "hint": {"type": "plain_text", "text": hint},
        "element": {
            "type": "multi_static_select",
            "action_id": ids.SCOPE_ACTION,
            "placeholder": {"type": "plain_text", "text": "Whole asset"},
            "options": [
                {"text": {"type": "plain_text", "text": truncate(f.name, OPTION_TEXT)}, "value": f.filter_id}
                for f in filters[:MAX_FILTERS]
            ],
        },
    }


def approve_modal(
    ref: ids.RequestRef,
    asset_name: str,
    max_days: int | None,
    filters: list[AssetFilter] | None = None,
    scope_required: bool = False,
    step: str | None = None,
    grants: bool = True,
) -> dict[str, Any]:
    """Approve, for how long, with an optional comment; for an asset with filters, which of them to grant.

    In an approval chain `step` names the step approved ("step 1 of 2 (…)"); only the last step `grants` the access,
    so only its approver chooses how long and which filters."""
    choices = [_duration_block(max_days), *([_scope_block(filters, scope_required)] if filters else [])]
    said = []
    if step:
        then = (
            "your approval grants the access." if grants else "the last step grants the access and chooses its scope."
        )
        said = [section(f"You approve *{step}*: {then}")]
    return _modal(
        ids.APPROVE_MODAL,
        "Approve request",
        "Approve",
        ref,
        *said,
        *(choices if grants else []),
        {
            "type": "input",
            "block_id": ids.COMMENT_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": f"Comment for the requester of {asset_name}"[:2000]},
            "element": {
                "type": "plain_text_input",
                "action_id": ids.COMMENT_ACTION,
                "multiline": True,
                "max_length": 2000,
            },
        },
    )


def reject_modal(ref: ids.RequestRef, asset_name: str) -> dict[str, Any]:
    """Reject, with a required reason."""
    return _modal(
        ids.REJECT_MODAL,
        "Reject request",
        "Reject",
        ref,
        {
            "type": "input",
            "block_id": ids.REASON_BLOCK,
            "label": {"type": "plain_text", "text": f"Why is access to {asset_name} refused?"[:2000]},
            "element": {
                "type": "plain_text_input",
                "action_id": ids.REASON_ACTION,
                "multiline": True,
                "min_length": 3,
                "max_length": 2000,
            },
        },
    )


def notice(view: RequestView, outcome: str) -> str:
    """The compact line posted when the policy decided by itself."""
    verb = "approved automatically" if outcome == "auto_approved" else "denied by policy"
    # The requester is often a phrase ("maria (MarketingAnalyst) for project X"): no possessive after it.
    return f"The request for *{view.asset_name}* by {view.requester} was {verb} ({view.verdict.reason})."


# Forty one-line sections, a header, the page's context and its buttons stay well inside Slack's 50 blocks.
MAX_QUEUE_LINES = 40


def queue_text(total: int) -> str:
    """The notification text of a page of the pending queue (and its header)."""
    return count(total, "pending request")


def _waits_at(line: Waiting) -> str:
    """ ", at step 2 of 2 (data protection), for <!subteam^…>": which step of a chain waits (and, for an admin, whose
    it is); nothing for a single step."""
    if not line.step:
        return ""
    return f", at {line.step}" + (f", for {line.whom}" if line.whom else "")


def queue(lines: list[Waiting], window: Window, scope: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """A page of the pending queue, oldest first, one line each: which page it is, and buttons to either side."""
    now = now or datetime.now(UTC)
    if not lines:
        return [section(f"No pending requests {scope}.")]
    texts = [
        f"`{s.request_id}` *{s.asset_name}* ({s.owner_project_name}) for {s.requester}, "
        f"waiting {_age(s.created_at, now)}{_waits_at(line)}"
        for line in lines
        for s in (line.summary,)
    ]
    out: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": queue_text(window.total)}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{window.label()}, oldest first; `/subscriptions show <request-id>` for one",
                }
            ],
        },
        *(section(text) for text in texts),
    ]
    buttons = ids.PENDING_PAGES.block(window, lambda offset: ids.PendingPage(offset=offset))
    return [*out, buttons] if buttons else out


def home(waiting: list[Waiting], lines: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """The Home tab's list of requests waiting for the user."""
    now = now or datetime.now(UTC)
    if not waiting:
        return [section("No subscription requests wait for you.")]
    text = "\n".join(
        f"• *{s.asset_name}* for {s.requester}, waiting {_age(s.created_at, now)}{_waits_at(line)} (`{s.request_id}`)"
        for line in waiting[:lines]
        for s in (line.summary,)
    )
    more = _more_than_shown(len(waiting) - lines, "/subscriptions pending")
    return [section(f"{count(len(waiting), 'request')} waiting for your decision:\n{text}{more}")]


def _more_than_shown(hidden: int, command: str) -> str:
    """A Home list's pointer to the command that pages through what it left out; nothing when it showed all."""
    return f"\n_and {hidden} more: `{command}` pages through them all_" if hidden > 0 else ""


def expiry_reminder(row: TimedAccess, ref: ids.AccessRef) -> list[dict[str, Any]]:
    """The requester's reminder a day before time-bound access ends, with a renewal button."""
    return [
        section(
            f":hourglass: Your access to *{row.asset_name}* ends {when(row.expires_at)} "
            f"(approved for {count(row.days, 'day')})."
        ),
        {"type": "actions", "elements": [button(ids.RENEW, "Ask to renew", ref.model_dump_json())]},
    ]


def renewal_card(row: TimedAccess, ref: ids.AccessRef, asker: str) -> list[dict[str, Any]]:
    """The approvers' card for a renewal request."""
    return [
        section(
            f":repeat: <@{asker}> asks to keep access to *{row.asset_name}* for {row.requester}. "
            f"It ends {when(row.expires_at)}; extending adds {count(row.days, 'day')}."
        ),
        {
            "type": "actions",
            "elements": [button(ids.EXTEND, f"Extend {count(row.days, 'day')}", ref.model_dump_json(), "primary")],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Subscription `{row.subscription_id}`"}]},
    ]


def _revoke_value(ref: ids.AccessRef, reason: str) -> str:
    """The Revoke button's value, the reason cut until its JSON (quotes and newlines escaped) fits Slack's limit."""
    while True:
        value = ids.RevokeRef(**ref.model_dump(), reason=reason).model_dump_json()
        excess = len(value) - BUTTON_VALUE
        if excess <= 0:
            return value
        reason = reason[: len(reason) - excess]  # an escaped character is at least as long as itself


def revoke_confirm(subscription: Subscription, ref: ids.AccessRef, reason: str) -> list[dict[str, Any]]:
    """The confirm step before revoking: what goes, and two buttons."""
    value = _revoke_value(ref, reason[:MAX_REASON])
    return [
        section(
            f"Revoke the access of {subscription.subscriber} to *{subscription.asset_name}*"
            f" (subscription `{subscription.subscription_id}`, since {subscription.since:%Y-%m-%d})?"
            + (f"\n>{reason[:MAX_REASON]}" if reason else "")
        ),
        {
            "type": "actions",
            "elements": [
                button(ids.CONFIRM_REVOKE, "Revoke", value, "danger"),
                button(ids.CANCEL, "Cancel", "cancel"),
            ],
        },
    ]


def _grant(status: str) -> str:
    # The grant's status reads as a phrase of its own: "access granted", "grant pending", "revoke failed".
    if status == "granted":
        return "access granted"
    return status if status.startswith(("grant", "revoke", "no grant")) else f"grant {status}"


def access_list(
    listing: Listing,
    subscriptions: list[Subscription],
    window: Window,
    asset: str,
    timed: dict[str, TimedAccess],
    by_request: dict[str, str],
    scopes: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """A page of who has access to an asset: subscriber, since when, approved by whom, grant status, any end date,
    and (`scopes`, by subscription id) which part of the asset they were granted.

    `asset` is the asset as it was typed, which the page buttons carry to draw their page.
    """
    if not subscriptions:
        return [section(f"Nobody has an active subscription to *{listing.asset_name}*.")]
    lines = []
    for sub in subscriptions:
        approver = by_request.get(sub.request_id or "") or sub.approved_by
        line = (
            f"`{sub.subscription_id}` {sub.subscriber}, since {sub.since:%Y-%m-%d}, "
            f"approved by {mention(approver, approver)}, {_grant(sub.grant_status)}"
        )
        if sub.subscription_id in timed:
            line += f", until {timed[sub.subscription_id].expires_at:%Y-%m-%d}"
        if scopes and sub.subscription_id in scopes:
            line += f", {scopes[sub.subscription_id]}"
        lines.append(truncate(line, SECTION_TEXT))
    out: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Access to {listing.asset_name}"[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{window.label()}, oldest first"}]},
        *(section(line) for line in lines),
    ]
    buttons = ids.ACCESS_PAGES.block(window, lambda offset: ids.AccessPage(asset=asset, offset=offset))
    return [*out, buttons] if buttons else out


_STATE_ICON = {
    PENDING: ":hourglass_flowing_sand:",
    REJECTED: ":no_entry_sign:",
    ACTIVE: ":white_check_mark:",
    REVOKED: ":x:",
    CANCELLED: ":leftwards_arrow_with_hook:",
}


def holding_line(item: Holding, approver: str | None, until: datetime | None, now: datetime) -> str:
    """One consumer line: which asset, for which project, and where it stands: who decided, when, until when."""
    head = f"*{item.asset_name}* ({item.owner_project_name}) for {item.project_name}"
    by = f" by {approver}" if approver else ""
    if item.state == PENDING:
        where = f"pending, waiting {_age(item.requested_at, now)}"
    elif item.state == REJECTED:
        where = f"rejected{by} {when(item.decided_at, 'at an unknown time')}"
    else:
        where = f"accepted{by} {when(item.decided_at, 'at an unknown time')}"
        if item.state == ACTIVE:
            where += f", until {when(until)}" if until else ", no end date"
        elif item.state in (REVOKED, CANCELLED):
            where += f"; {item.state} {when(item.ended_at, '')}".rstrip()
    ident = f"subscription `{item.subscription_id}`" if item.subscription_id else f"request `{item.request_id}`"
    return f"{_STATE_ICON.get(item.state, '')} {head}: {where} ({ident})".strip()


def mine(
    items: list[Holding],
    window: Window,
    domain_id: str,
    approvers: dict[Holding, str],
    ends: dict[str, datetime],
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """A page of a consumer's requests and subscriptions, newest first; each active one has a Leave button."""
    now = now or datetime.now(UTC)
    if not items:
        return [section("Your projects have no subscription requests or subscriptions yet.")]
    out: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": mine_text(window.total)}},
        context(f"{window.label()}, newest first; Leave gives an active subscription back"),
    ]
    for item in items:
        line = section(holding_line(item, approvers.get(item), ends.get(item.subscription_id or ""), now))
        if item.state == ACTIVE and item.subscription_id:
            ref = ids.LeaveRef(domain=domain_id, subscription=item.subscription_id)
            line["accessory"] = button(ids.LEAVE, "Leave", ref.model_dump_json())
        out.append(line)
    buttons = ids.MINE_PAGES.block(window, lambda offset: ids.MinePage(offset=offset))
    return [*out, buttons] if buttons else out


def mine_text(total: int) -> str:
    """The notification text of a page of a consumer's list (and its header)."""
    return f"{count(total, 'request or subscription', 'requests and subscriptions')} of your projects"


def home_mine(
    items: list[Holding], lines: int, approvers: dict[Holding, str], ends: dict[str, datetime]
) -> list[dict[str, Any]]:
    """The Home tab's newest few of a consumer's requests and subscriptions."""
    now = datetime.now(UTC)
    shown = "\n".join(
        f"• {holding_line(item, approvers.get(item), ends.get(item.subscription_id or ''), now)}"
        for item in items[:lines]
    )
    return [section(f"{shown}{_more_than_shown(len(items) - lines, '/subscriptions mine')}")]


def leave_confirm(subscription: Subscription, ref: ids.LeaveRef) -> list[dict[str, Any]]:
    """The confirm step before giving access back: what goes, and two buttons."""
    return [
        section(
            f"Give back the access of {subscription.subscriber} to *{subscription.asset_name}*"
            f" (subscription `{subscription.subscription_id}`, since {subscription.since:%Y-%m-%d})?"
            " DataZone cancels the subscription; getting access again takes a new request."
        ),
        {
            "type": "actions",
            "elements": [
                button(ids.CONFIRM_LEAVE, "Leave", ref.model_dump_json(), "danger"),
                button(ids.CANCEL, "Cancel", "cancel"),
            ],
        },
    ]
