"""Slack side of /audit: admins read the audit log with filters, a page at a time."""

from __future__ import annotations

from functools import partial

from slack_bolt import Respond

from bot.audit_query import USAGE, AuditFilter, count_matching, parse_filters, read_entries
from bot.authz import admin
from bot.commands import CommandRouter, Invocation, Subcommand
from bot.db import Database
from bot.paging import Window, take_page
from bot.registry import Interaction, Registry
from handlers.audit import blocks

NOUN = ("matching entry", "matching entries")


def _show(db: Database, filters: AuditFilter, window: Window, respond: Respond, *, replace: bool) -> None:
    entries = read_entries(db, filters, offset=window.offset, limit=window.size)
    respond(
        response_type="ephemeral",
        replace_original=replace,
        text=blocks.page_text(window.total),
        blocks=blocks.page(entries, window, filters),
    )


def audit(db: Database, invocation: Invocation) -> None:
    """The newest entries matching the filters, or page N of them."""
    text, number = take_page(invocation.args, f"/audit {USAGE}")
    filters = parse_filters(text)
    command = " ".join(["/audit", filters.words()]).strip()
    window = Window.numbered(number, blocks.PAGE_SIZE, count_matching(db, filters), command=command, noun=NOUN)
    _show(db, filters, window, invocation.respond, replace=False)


def turn(db: Database, interaction: Interaction) -> None:
    """Another page of the same filters, in place of the one clicked."""
    state = blocks.BUTTONS.state(blocks.PageState, interaction.body, "/audit")
    filters = parse_filters(state.filters)
    window = Window.at(state.offset, blocks.PAGE_SIZE, count_matching(db, filters))
    _show(db, filters, window, interaction.respond, replace=True)


def register(registry: Registry) -> None:
    """Register /audit and its page buttons (admins only, as the command)."""
    db = registry.kernel.db
    registry.command(
        CommandRouter(
            command="/audit",
            summary="who did what, when, and how it ended (admins)",
            default="",
            fallback=Subcommand("", "the newest audit entries, filtered", admin, USAGE, handler=partial(audit, db)),
            subcommands=[],
        )
    )
    for action_id in blocks.BUTTONS.action_ids:
        registry.action(action_id, admin, partial(turn, db))
