"""Block Kit for the Home tab."""

from __future__ import annotations

from typing import Any

from bot.blockkit import section
from bot.commands import CommandRouter

# Slack refuses a Home tab view with more than 100 blocks.
MAX_BLOCKS = 100


def roles_line(is_admin: bool, projects: list[str]) -> str:
    """How opsbot sees the user."""
    roles = []
    if is_admin:
        roles.append("opsbot admin")
    if projects:
        roles.append("approver for " + ", ".join(f"`{p}`" for p in projects))
    return "You are " + (" and ".join(roles) if roles else "a reader: you can look, not change") + "."


def home_view(
    roles: str,
    commands: list[CommandRouter],
    sections: list[tuple[str, list[dict[str, Any]]]],
) -> dict[str, Any]:
    """The whole Home tab."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "opsbot"}},
        section(roles),
    ]
    for title, section_blocks in sections:
        if not section_blocks:  # nothing for this user, so no heading either
            continue
        blocks += [{"type": "divider"}, {"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
        blocks += section_blocks
    blocks.append({"type": "divider"})
    blocks.append(section("*Commands*\n" + "\n".join(f"`{c.command}`: {c.summary}" for c in commands)))
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Type `/<command> help` for the forms."}]}
    )
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def section_failed(error_id: str) -> list[dict[str, Any]]:
    """What a section shows when building it failed."""
    return [section(f":warning: This section could not be loaded (error id `{error_id}`).")]
