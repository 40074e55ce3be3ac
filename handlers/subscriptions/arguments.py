"""The typed arguments of /subscriptions forms: parsed from the command text, refused with their usage."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from bot.arguments import CommandArgs

ID_PATTERN = r"^[a-zA-Z0-9_-]{1,36}$"
DURATION = re.compile(r"^(\d{1,4})d$", re.IGNORECASE)


def _split(text: str) -> tuple[str, str]:
    words = text.strip().split(maxsplit=1)
    return (words[0] if words else ""), (words[1] if len(words) > 1 else "")


class RequestArgs(CommandArgs):
    """`show <request-id>`."""

    request_id: str = Field(pattern=ID_PATTERN)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        return {"request_id": _split(text)[0]}


class ApproveArgs(CommandArgs):
    """`approve <request-id> [comment]`, where a comment's first word `<N>d` limits access to N days."""

    request_id: str = Field(pattern=ID_PATTERN)
    days: int | None = Field(None, ge=1, le=3650)
    comment: str = Field("", max_length=2000)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        request_id, rest = _split(text)
        duration, after = _split(rest)
        match = DURATION.fullmatch(duration)
        if match:
            return {"request_id": request_id, "days": int(match.group(1)), "comment": after}
        return {"request_id": request_id, "comment": rest}


class RejectArgs(CommandArgs):
    """`reject <request-id> <reason>`."""

    request_id: str = Field(pattern=ID_PATTERN)
    reason: str = Field(min_length=3, max_length=2000)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        request_id, reason = _split(text)
        return {"request_id": request_id, "reason": reason}


class RevokeArgs(CommandArgs):
    """`revoke <subscription-id> [reason]`."""

    subscription_id: str = Field(pattern=ID_PATTERN)
    reason: str = Field("", max_length=1500)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        subscription_id, reason = _split(text)
        return {"subscription_id": subscription_id, "reason": reason}


class LeaveArgs(CommandArgs):
    """`leave <subscription-id>`: nothing after the id, so a stray word is refused rather than ignored."""

    subscription_id: str = Field(pattern=ID_PATTERN)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        return {"subscription_id": text.strip()}
