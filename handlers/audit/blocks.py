"""Block Kit for `/audit`: a page of entries, newest first, and buttons to the pages either side."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.audit import AuditEntry
from bot.audit_query import AuditFilter, reason_of, when
from bot.blockkit import section
from bot.paging import PageButtons, Window
from bot.wording import count, mention

# `audit.more` is the id the Next button had before pages were numbered, so buttons already posted still work.
BUTTONS = PageButtons(next="audit.more", previous="audit.previous")
PAGE_SIZE = 20
# Ten lines a section keeps each section well under Slack's 3,000 characters (a line is at most ~260).
LINES_PER_SECTION = 10


class PageState(BaseModel):
    """What a page button carries: the filters as typed and where its page starts."""

    model_config = ConfigDict(frozen=True)

    filters: str = Field(max_length=400)
    offset: int = Field(ge=0)


def line(entry: AuditEntry) -> str:
    """One entry: when, who, what, on what, and how it ended (with the reason of a refusal)."""
    target = entry.target.replace("`", "'")
    # Actors that are not Slack users (the inbox, the scheduler, the CLI, the policy) are named, not mentioned.
    text = f"`{when(entry.at)}` {mention(entry.actor, f'`{entry.actor}`')} *{entry.action}*"
    if target:
        text += f" `{target[:60]}{'…' if len(target) > 60 else ''}`"
    text += f" {entry.result}"
    reason = reason_of(entry) if entry.result in ("denied", "failed", "conflict") else None
    if reason:
        text += f": {str(reason)[:100]}"
    if entry.error_id:
        text += f" (error id `{entry.error_id}`)"
    return text


def page(entries: list[AuditEntry], window: Window, filters: AuditFilter) -> list[dict[str, Any]]:
    """The page's entries and buttons to the pages either side."""
    shown = filters.words(readable=True) or "no filters"
    if not entries:
        return [section(f"No audit entries match ({shown}).")]
    summary = f"*Audit log*: entries {window.label()}, newest first ({shown})."
    blocks = [section(summary)]
    lines = [line(entry) for entry in entries]
    for start in range(0, len(lines), LINES_PER_SECTION):
        blocks.append(section("\n".join(lines[start : start + LINES_PER_SECTION])))
    buttons = BUTTONS.block(window, lambda offset: PageState(filters=filters.words(), offset=offset))
    return [*blocks, buttons] if buttons else blocks


def page_text(total: int) -> str:
    """The notification text of a page."""
    return count(total, "audit entry", "audit entries")
