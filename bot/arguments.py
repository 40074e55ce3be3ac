"""Typed arguments of slash-command forms: cut from the text, validated by pydantic, refused with their usage."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import BadInput


class CommandArgs(BaseModel):
    """One form's arguments; subclasses say how the text is cut and, if they like, how problems read."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    # What a value that does not match its pattern should look like, in the user's words.
    pattern_hint: ClassVar[str] = "letters, digits, - and _"

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        """The command text cut into this form's fields, unvalidated."""
        raise NotImplementedError

    @classmethod
    def field_name(cls, loc: tuple[Any, ...]) -> str:
        """How a field is called in messages."""
        return str(loc[0]).replace("_", " ") if loc else "arguments"


class AssetArgs(CommandArgs):
    """`<asset>`: a DataZone asset id or exact name, as every command that names an asset takes it."""

    asset: str = Field(min_length=1, max_length=256)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        return {"asset": text}


Args = TypeVar("Args", bound=CommandArgs)


def parse(kind: type[Args], text: str, usage: str) -> Args:
    """Read `text` as the arguments of one form; BadInput naming the problem and the usage otherwise."""
    try:
        return kind.model_validate(kind.fields(text))
    except ValidationError as exc:
        raise BadInput(f"{_problem(kind, exc.errors()[0])}\nUsage: `{usage}`") from None


def _problem(kind: type[CommandArgs], error: Any) -> str:
    # Pydantic's messages name regexes and types; users need to hear what to type instead.
    name = kind.field_name(tuple(error["loc"]))
    value = error.get("input")
    if isinstance(value, str) and not value.strip():
        return f"Give a {name}."
    if error["type"] == "string_pattern_mismatch":
        shown = value[:40].replace("`", "'")
        return f"`{shown}` is not a valid {name}: use {kind.pattern_hint}."
    if error["type"] == "string_too_short":
        return f"The {name} is too short."
    if error["type"] == "string_too_long":
        return f"The {name} is too long (at most {error['ctx']['max_length']} characters)."
    if error["type"] == "too_long":
        return f"Too many {name}s (at most {error['ctx']['max_length']})."
    return f"The {name} is not valid: {error['msg']}."
