"""Slack side of /audit: admins read the audit log with filters, a page at a time."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt import Respond
from slack_sdk import WebClient

from bot.audit_query import USAGE, AuditFilter, parse_filters, read_page
from bot.authz import admin
from bot.commands import CommandRouter, Invocation, Subcommand
from bot.errors import BadInput
from bot.registry import Registry
from handlers.audit import blocks


class _More(BaseModel):
    """What the "Next" button carries: the filters as typed and where the next page starts."""

    model_config = ConfigDict(frozen=True)

    filters: str = Field(max_length=400)
    offset: int = Field(ge=0)


def register(registry: Registry) -> None:
    """Register /audit and its paging button (admins only)."""
    db = registry.deps.db

    def show(filters: AuditFilter, offset: int, respond: Respond, *, replace: bool) -> None:
        result = read_page(db, filters, offset=offset, limit=blocks.PAGE_SIZE)
        respond(
            response_type="ephemeral",
            replace_original=replace,
            text=blocks.page_text(result),
            blocks=blocks.page(result, filters),
        )

    def audit(invocation: Invocation) -> None:
        """The newest entries matching the filters."""
        show(parse_filters(invocation.args), 0, invocation.respond, replace=False)

    def more(ack: Any, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """The next page of the same filters, in place of the one clicked."""
        ack()
        with registry.reporting(body, client):
            try:
                state = _More.model_validate(json.loads(body["actions"][0].get("value") or ""))
            except (ValueError, ValidationError):
                raise BadInput("That page button is from an older opsbot; run `/audit` again.") from None
            show(parse_filters(state.filters), state.offset, respond, replace=True)

    registry.command(
        CommandRouter(
            command="/audit",
            summary="who did what, when, and how it ended (admins)",
            default="",
            fallback=Subcommand("", "the newest audit entries, filtered", admin, USAGE, handler=audit),
            subcommands=[],
        )
    )
    registry.action(blocks.MORE, admin, more)
