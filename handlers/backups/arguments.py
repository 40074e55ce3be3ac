"""The typed arguments of /backup forms: parsed from the command text, refused with their usage."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import BadInput
from handlers.backups.ids import PLAN_ID

DOMAIN_ID = r"^dzd[-_][a-zA-Z0-9_-]{1,36}$"
REGION = r"^[a-z]{2}(-[a-z]+)+-\d$"


class HistoryArgs(BaseModel):
    """`history [n]`."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(10, ge=1, le=50)

    @classmethod
    def parse(cls, text: str) -> HistoryArgs:
        words = text.split()
        if len(words) > 1:
            raise BadInput("`history` takes one number.\nUsage: `/backup history [n]`")
        if words and not (words[0].isascii() and words[0].isdigit()):  # '²' is a digit int() refuses
            raise BadInput(f"`{words[0][:20].replace('`', '')}` is not a number.\nUsage: `/backup history [n]`")
        try:
            return cls(n=int(words[0])) if words else cls()
        except ValidationError:
            raise BadInput("Give a number from 1 to 50.\nUsage: `/backup history [n]`") from None


class RestoreArgs(BaseModel):
    """`restore plan [<target-domain-id>] [region=<region>]` or `restore apply <plan-id>`."""

    model_config = ConfigDict(frozen=True)

    action: Literal["plan", "apply"]
    target: str | None = Field(None, pattern=DOMAIN_ID)
    region: str | None = Field(None, pattern=REGION)
    plan_id: str | None = Field(None, pattern=PLAN_ID)

    @model_validator(mode="after")
    def _complete(self) -> RestoreArgs:
        if self.action == "apply" and not self.plan_id:
            raise ValueError("apply needs a plan id")
        return self

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        """The command text cut into fields, unvalidated."""
        words = text.split()
        action = words[0].lower() if words else ""
        rest = words[1:]
        region = next((w.split("=", 1)[1] for w in rest if w.startswith("region=")), None)
        plain = [w for w in rest if not w.startswith("region=")]
        if len(plain) > 1:
            raise ValueError("too many words")
        first = plain[0] if plain else None
        if action == "apply":
            return {"action": action, "plan_id": first}
        return {"action": action, "target": first, "region": region}


USAGE = "/backup restore plan [<target-domain-id>] [region=<region>] | apply <plan-id>"


def parse_restore(text: str) -> RestoreArgs:
    """`restore ...` as typed arguments; BadInput with the usage otherwise."""
    try:
        return RestoreArgs.model_validate(RestoreArgs.fields(text))
    except (ValidationError, ValueError) as exc:
        raise BadInput(f"{_problem(exc)}\nUsage: `{USAGE}`") from None


def _problem(exc: Exception) -> str:
    if not isinstance(exc, ValidationError):
        return "Too many words."
    error = exc.errors()[0]
    where = str(error["loc"][0]) if error["loc"] else ""
    value = str(error.get("input", ""))[:40].replace("`", "'")
    if where == "action":
        return "Say `plan` or `apply`." if not value else f"`{value}` is neither `plan` nor `apply`."
    if where == "target":
        return f"`{value}` is not a DataZone domain id (dzd_...)."
    if where == "region":
        return f"`{value}` is not an AWS region."
    if where == "plan_id":
        return f"`{value}` is not a plan id (plan-...)."
    return "Give the plan id to apply."
