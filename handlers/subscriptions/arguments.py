"""The typed arguments of /subscriptions forms: parsed from the command text, refused with their usage."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import BadInput

ID_PATTERN = r"^[a-zA-Z0-9_-]{1,36}$"
DURATION = re.compile(r"^(\d{1,4})d$", re.IGNORECASE)


def _split(text: str) -> tuple[str, str]:
    words = text.strip().split(maxsplit=1)
    return (words[0] if words else ""), (words[1] if len(words) > 1 else "")


class _Args(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        """The command text cut into this form's fields, unvalidated."""
        raise NotImplementedError


class RequestArgs(_Args):
    """`show <request-id>`."""

    request_id: str = Field(pattern=ID_PATTERN)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        return {"request_id": _split(text)[0]}


class ApproveArgs(_Args):
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


class RejectArgs(_Args):
    """`reject <request-id> <reason>`."""

    request_id: str = Field(pattern=ID_PATTERN)
    reason: str = Field(min_length=3, max_length=2000)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        request_id, reason = _split(text)
        return {"request_id": request_id, "reason": reason}


class AccessArgs(_Args):
    """`access <asset>`: an asset id or exact name."""

    asset: str = Field(min_length=1, max_length=256)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        return {"asset": text}


class RevokeArgs(_Args):
    """`revoke <subscription-id> [reason]`."""

    subscription_id: str = Field(pattern=ID_PATTERN)
    reason: str = Field("", max_length=1500)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        subscription_id, reason = _split(text)
        return {"subscription_id": subscription_id, "reason": reason}


Args = TypeVar("Args", bound=_Args)


def parse(kind: type[Args], text: str, usage: str) -> Args:
    """Read `text` as the arguments of one form; BadInput naming the problem and the usage otherwise."""
    try:
        return kind.model_validate(kind.fields(text))
    except ValidationError as exc:
        raise BadInput(f"{_problem(exc.errors()[0])}\nUsage: `{usage}`") from None


def _problem(error: Any) -> str:
    # Pydantic's messages name regexes and types; users need to hear what to type instead.
    name = str(error["loc"][0]).replace("_", " ") if error["loc"] else "arguments"
    value = error.get("input")
    if isinstance(value, str) and not value.strip():
        return f"Give a {name}."
    if error["type"] == "string_pattern_mismatch":
        return f"`{value[:40].replace('`', '')}` is not a {name}: ids are letters, digits, - and _."
    if error["type"] == "string_too_short":
        return f"The {name} is too short."
    if error["type"] == "string_too_long":
        return f"The {name} is too long (at most {error['ctx']['max_length']} characters)."
    return f"The {name} is not valid: {error['msg']}."
