"""Typed errors that carry a message fit for the user who caused them."""

from __future__ import annotations

import secrets


def new_error_id() -> str:
    """A short id that a user can quote and an operator can grep for."""
    return secrets.token_hex(4)


class OpsbotError(Exception):
    """An error whose message may be shown to the Slack user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(OpsbotError):
    """The acting user lacks the role the action needs."""


class BadInput(OpsbotError):
    """User-typed input did not validate."""


class NotFound(OpsbotError):
    """The thing the user named does not exist."""


class Conflict(OpsbotError):
    """Someone else already changed the thing (for example decided the request)."""
