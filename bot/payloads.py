"""Shape checks for inbound Slack payloads, before Bolt parses them (Bolt assumes well-formed input)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.bounded_json import UnreadableJson, depth_exceeds, loads_bounded

# Bolt's context extraction reads these as "an id or an object", at the top level and inside the nested
# objects below; anything else (a number, a list) makes it raise before any middleware runs. Null is what
# Slack itself sends for `enterprise` outside Enterprise Grid (and `team` in org-wide installs): Bolt skips it.
_IDENTITY_KEYS = ("user", "team", "channel", "enterprise")
_NESTED_KEYS = ("event", "message", "previous_message", "item", "assistant_thread", "view", "container")

# Block Kit's deepest structures (rich text lists inside sections inside a message inside an event) nest
# about a dozen levels; 64 leaves room and keeps pydantic and Bolt far from Python's recursion limit.
MAX_JSON_DEPTH = 64
# The largest requests Slack sends are modal submissions (up to 100 blocks, their state) and clicks that
# carry the whole message (up to 50 blocks of 3,000 characters; text up to 40,000), form-encoded: a few
# hundred KB at worst. Twice a generous megabyte still refuses a flood before it is buffered, and a
# refusal is logged with its size, so a real request over it would be loud (413), not silent.
MAX_BODY_BYTES = 2 * 1024 * 1024


def _identity_problem(data: Any, path: str, depth: int = 0) -> str | None:
    if not isinstance(data, dict) or depth > 4:
        return None
    for key in _IDENTITY_KEYS:
        if data.get(key) is not None and not isinstance(data[key], str | dict):
            return f"{path}.{key} must be an id or an object"
    nested = [(f"{path}.{key}", data.get(key)) for key in _NESTED_KEYS]
    authorizations = data.get("authorizations")
    if isinstance(authorizations, list) and authorizations:
        nested.append((f"{path}.authorizations.0", authorizations[0]))
    for where, value in nested:
        problem = _identity_problem(value, where, depth + 1)
        if problem:
            return problem
    return None


def _reject_nulls(data: Any, keys: tuple[str, ...]) -> Any:
    # Bolt looks these keys up by presence, then reads inside them: a present null breaks it, as does
    # an identity that is neither an id nor an object.
    if isinstance(data, dict):
        for key in keys:
            if key in data and data[key] is None:
                raise ValueError(f"{key} must not be null")
        problem = _identity_problem(data, "payload")
        if problem:
            raise ValueError(problem)
    return data


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


def _problem(model: type[BaseModel], value: Any) -> str | None:
    # Socket Mode hands over payloads already decoded, so the depth bound is checked here too.
    if depth_exceeds(value, MAX_JSON_DEPTH):
        return f"payload: nested deeper than {MAX_JSON_DEPTH} levels"
    try:
        model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'payload'}: {first['msg']}"
    return None


class _User(_Loose):
    id: str = Field(min_length=1, max_length=32)


class _IdOnly(_Loose):
    id: str | None = None


class _Action(_Loose):
    action_id: str = Field(max_length=255)


class _View(_Loose):
    type: str = Field(max_length=32)
    callback_id: str = Field("", max_length=255)
    private_metadata: str = Field("", max_length=3000)


class InteractivePayload(_Loose):
    """The parts of an interactive payload that Bolt and opsbot read."""

    type: str
    user: _User | None = None
    team: _IdOnly | None = None
    channel: _IdOnly | None = None
    actions: list[_Action] | None = None
    view: _View | None = None

    @model_validator(mode="before")
    @classmethod
    def _present_means_object(cls, data: Any) -> Any:
        return _reject_nulls(data, ("actions", "view", "container", "message"))

    @model_validator(mode="after")
    def _required_by_type(self) -> InteractivePayload:
        if self.type == "block_actions" and not self.actions:
            raise ValueError("block_actions without actions")
        if self.type in ("view_submission", "view_closed") and self.view is None:
            raise ValueError(f"{self.type} without a view")
        if self.type in ("block_actions", "view_submission", "view_closed", "shortcut", "message_action") and (
            self.user is None
        ):
            raise ValueError(f"{self.type} without a user")
        return self


def interactive_problem(payload: Any) -> str | None:
    """Why an interactive payload (already JSON-decoded) is malformed, or None if it is fine."""
    return _problem(InteractivePayload, payload)


class _Event(_Loose):
    type: str = Field(max_length=64)


class EventEnvelope(_Loose):
    """The parts of an Events API callback that Bolt reads before any listener."""

    type: str
    event: _Event | None = None
    challenge: str | None = None
    authorizations: list[_Loose] | None = None
    team_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _present_means_object(cls, data: Any) -> Any:
        return _reject_nulls(data, ("event", "authorizations"))

    @model_validator(mode="after")
    def _required_by_type(self) -> EventEnvelope:
        if self.type == "event_callback" and self.event is None:
            raise ValueError("event_callback without an event")
        if self.type == "url_verification" and self.challenge is None:
            raise ValueError("url_verification without a challenge")
        return self


def event_problem(payload: Any) -> str | None:
    """Why an Events API payload (already JSON-decoded) is malformed, or None if it is fine."""
    return _problem(EventEnvelope, payload)


def _json(text: str) -> Any:
    return loads_bounded(text, max_bytes=MAX_BODY_BYTES, max_depth=MAX_JSON_DEPTH)


def http_body_problem(body: bytes, content_type: str) -> str | None:
    """Why an HTTP request body from Slack would trip Bolt's parser, or None if Bolt can take it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    # Bolt parses by this same test: JSON if declared so or if it looks like an object.
    if content_type == "application/json" or text.startswith("{"):
        try:
            return event_problem(_json(text))
        except UnreadableJson as exc:
            return f"body is not readable JSON ({exc})"
    # Otherwise Bolt reads a form, and a `payload` field in it (blank values kept) as JSON.
    if "payload" not in text:
        return None
    payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
    if payload is None:
        return None  # a command that merely mentions the word; bot.bolt_request corrects Bolt's parse
    try:
        return interactive_problem(_json(payload))
    except UnreadableJson as exc:
        return f"payload is not readable JSON ({exc})"
