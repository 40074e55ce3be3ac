"""The typed arguments of /subscriptions forms: parsed from the command text, refused with their usage."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from bot.arguments import CommandArgs

ID_PATTERN = r"^[a-zA-Z0-9_-]{1,36}$"
DURATION = re.compile(r"^(\d{1,4})d$", re.IGNORECASE)
# `filter=<name>[,<name>…]`: DataZone's FilterName is `[\w -]+` (1..64); a name with a space or beyond ASCII cannot be
# typed here (the approve modal offers every filter).
FILTERS = re.compile(r"^filters?=(.*)$", re.IGNORECASE)
FilterName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


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
    """`approve <request-id> [filter=<name>[,…]] [<N>d] [comment]`: the filters grant only part of the asset, and
    `<N>d` limits access to N days; either may come first, and the rest is the comment."""

    request_id: str = Field(pattern=ID_PATTERN)
    days: int | None = Field(None, ge=1, le=3650)
    # Slack's multi-select offers at most 100; a command needs no more.
    filters: tuple[FilterName, ...] = Field((), max_length=100)
    comment: str = Field("", max_length=2000)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        request_id, rest = _split(text)
        found: dict[str, Any] = {"request_id": request_id}
        while True:
            word, after = _split(rest)
            duration, scope = DURATION.fullmatch(word), FILTERS.fullmatch(word)
            if duration and "days" not in found:
                found["days"] = int(duration.group(1))
            elif scope and "filters" not in found:
                # An empty name (`filter=`, `filter=a,,b`) is kept, so the pattern refuses it with the usage.
                found["filters"] = tuple(name.strip() for name in scope.group(1).split(","))
            else:
                return {**found, "comment": rest}
            rest = after

    @classmethod
    def field_name(cls, loc: tuple[Any, ...]) -> str:
        return "filter name" if loc and loc[0] == "filters" else super().field_name(loc)


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
