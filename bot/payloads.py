"""Shape checks for inbound Slack payloads, before Bolt parses them (Bolt assumes well-formed input)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


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
        # Bolt looks these up by key presence, then reads inside: a present null breaks it.
        if isinstance(data, dict):
            nulls = [
                key
                for key in ("user", "team", "channel", "actions", "view", "container", "message")
                if key in data and data[key] is None
            ]
            if nulls:
                raise ValueError(f"{nulls[0]} must not be null")
        return data

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
    try:
        InteractivePayload.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'payload'}: {first['msg']}"
    return None


def form_body_problem(body: bytes) -> str | None:
    """Why a form-encoded request body's interactive `payload` is malformed; None for other bodies."""
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        return "body is not form-encoded UTF-8"
    if "payload" not in fields:
        return None
    try:
        return interactive_problem(json.loads(fields["payload"][0]))
    except json.JSONDecodeError:
        return "payload is not JSON"
