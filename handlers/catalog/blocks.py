"""Block Kit for /catalog: a listing's card, a page of search results, a listing in full, the request modal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.blockkit import button, context, join_within, lines_within, section, truncate
from bot.paging import Window
from handlers.catalog import ids
from handlers.catalog.consumers import Project
from handlers.catalog.listings import Listing
from handlers.catalog.service import Standing

SUMMARY = 300  # a description's first line, in a card


def plain(text: str) -> str:
    """DataZone's text in mrkdwn: Slack's three control characters escaped, so a name cannot mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ref(listing: Listing) -> str:
    return ids.ListingRef(listing_id=listing.listing_id, name=listing.name[:256]).model_dump_json()


def _facts(listing: Listing, owner: str) -> str:
    quality = f"{listing.quality:g}" if listing.quality is not None else "no score"
    terms = join_within([plain(t) for t in listing.terms], 300) if listing.terms else "no glossary terms"
    return (
        f"*{plain(listing.name)}* · {plain(owner)} · {plain(listing.classification or 'unclassified')}"
        f" · quality {quality} · {terms}"
    )


def card(listing: Listing, owner: str) -> list[dict[str, Any]]:
    """One listing: name, owning project, classification, quality, terms, the description's first line, buttons."""
    text = _facts(listing, owner)
    if listing.summary:
        text += "\n" + plain(truncate(listing.summary, SUMMARY))
    return [
        section(text),
        {
            "type": "actions",
            "block_id": f"catalog_{listing.listing_id}",
            "elements": [
                button(ids.SHOW, "Show", _ref(listing)),
                button(ids.REQUEST, "Request access", _ref(listing), style="primary"),
            ],
        },
    ]


def results_text(total: int, truncated: bool) -> str:
    """The notification text (and header) of a page of results."""
    if total == 0:
        return "No published data matches that search."
    more = "+" if truncated else ""
    return f"{total}{more} published asset{'s' if total != 1 else ''} found"


def results(
    page: list[Listing], owners: Mapping[str, str], window: Window, state: ids.SearchState, truncated: bool
) -> list[dict[str, Any]]:
    """A page of listings, a card each, with the page's place and buttons to either side."""
    if not page:
        return [section(results_text(0, False) + " Try fewer words or filters.")]
    where = window.label() + (" (a narrower search shows the rest)" if truncated else "")
    out: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": results_text(window.total, truncated)}},
        context(f"{where}; `/catalog show <asset>` for one"),
    ]
    for listing in page:
        out += card(listing, owners.get(listing.owner_project_id, listing.owner_project_id))
    buttons = ids.PAGES.block(window, lambda offset: state.model_copy(update={"offset": offset}))
    return [*out, buttons] if buttons else out


def _standing(standings: list[Standing]) -> str:
    if not standings:
        return "You are not a member of a project that could ask for it (see `/catalog request`)."
    lines = []
    for s in standings:
        state = "has access" if s.subscribed else f"request `{s.pending_request}` pending" if s.pending_request else ""
        lines.append(f"• {plain(s.project.name)}: {state or 'no access yet'}")
    return lines_within(lines, 2900, "*Your projects*\n")


def detail(
    listing: Listing, owner: str, approvers: list[str], form_names: list[str], standings: list[Standing]
) -> list[dict[str, Any]]:
    """A listing in full: its card, the policy's forms, its columns, who owns it, where the caller's projects stand."""
    out = card(listing, owner)
    if listing.description and listing.description.strip() != listing.summary:
        out.insert(1, section(plain(listing.description)))
    for name in form_names:
        content = listing.forms.get(name)
        if content is None:
            out.insert(-1, context(f"No {plain(name)} form is published with this asset."))
            continue
        fields = [f"{plain(str(k))}: {plain(str(v))}" for k, v in content.items()]
        out.insert(-1, section(lines_within(fields, 2900, f"*{plain(name)}*\n")))
    columns = listing.columns()
    text = (
        lines_within([f"`{plain(c)}` {plain(t)}" for c, t in columns], 2900, "*Columns*\n")
        if columns
        else "DataZone lists no schema columns for this asset."
    )
    out.insert(-1, section(text))
    who = join_within(approvers, 500) if approvers else "no approvers in opsbot's policy"
    out.insert(-1, section(f"*Owned by* {plain(owner)}; approvers: {who}"))
    out.insert(-1, section(_standing(standings)))
    return out


def _option(project: Project) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": truncate(project.name, 75)}, "value": project.id}


def request_modal(listing: Listing, projects: list[Project]) -> dict[str, Any]:
    """Pick one of the caller's projects (the only one is chosen already) and say why."""
    element: dict[str, Any] = {"type": "static_select", "action_id": ids.PROJECT_ACTION, "options": []}
    element["options"] = [_option(p) for p in projects[:100]]
    if len(projects) == 1:
        element["initial_option"] = _option(projects[0])
    return {
        "type": "modal",
        "callback_id": ids.REQUEST_MODAL,
        "private_metadata": _ref(listing),
        "title": {"type": "plain_text", "text": "Request access"},
        "submit": {"type": "plain_text", "text": "Request"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"Ask for *{plain(listing.name)}*; its owners decide in DataZone or in Slack."),
            {
                "type": "input",
                "block_id": ids.PROJECT_BLOCK,
                "label": {"type": "plain_text", "text": "For your project"},
                "element": element,
            },
            {
                "type": "input",
                "block_id": ids.REASON_BLOCK,
                "label": {"type": "plain_text", "text": "Why do you need it?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.REASON_ACTION,
                    "multiline": True,
                    "min_length": 3,
                    "max_length": 2000,
                },
            },
        ],
    }


def message_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something: while the request form loads, or why it cannot be shown."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": truncate(title, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text)],
    }
