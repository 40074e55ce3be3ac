"""Block Kit for `/audit`: a page of entries, newest first, and a button to the next page."""

from __future__ import annotations

import json
from typing import Any

from bot.audit import AuditEntry
from bot.audit_query import AuditFilter, AuditPage, reason_of, when
from bot.wording import mention

MORE = "audit.more"
PAGE_SIZE = 20
# Ten lines a section keeps each section well under Slack's 3,000 characters (a line is at most ~260).
LINES_PER_SECTION = 10


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


def page(result: AuditPage, filters: AuditFilter) -> list[dict[str, Any]]:
    """The page's entries and, when more match, a button to the next page."""
    shown = filters.words(readable=True) or "no filters"
    first, last = result.offset + 1, result.offset + len(result.entries)
    if not result.entries:
        return [_section(f"No audit entries match ({shown}).")]
    span = f"entry {first} of {result.total}" if first == last else f"entries {first} to {last} of {result.total}"
    summary = f"*Audit log*: {span}, newest first ({shown})."
    blocks = [_section(summary)]
    lines = [line(entry) for entry in result.entries]
    for start in range(0, len(lines), LINES_PER_SECTION):
        blocks.append(_section("\n".join(lines[start : start + LINES_PER_SECTION])))
    if result.next_offset is not None:
        value = json.dumps({"filters": filters.words(), "offset": result.next_offset})
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": MORE,
                        "text": {"type": "plain_text", "text": f"Next {min(PAGE_SIZE, result.total - last)}"},
                        "value": value,
                    }
                ],
            }
        )
    return blocks


def page_text(result: AuditPage) -> str:
    """The notification text of a page."""
    return f"{result.total} audit entries" if result.total != 1 else "1 audit entry"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
