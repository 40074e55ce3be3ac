"""What a caller asks the outbox to say: one Slack message, described without sending it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.outbox.models import DM, EPHEMERAL, POST, REPLY, UPDATE, UPLOAD


@dataclass(frozen=True)
class Outgoing:
    """One message to send; `after` names (by key) the message whose ts it needs, when that is not known yet."""

    kind: str
    channel: str
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    # The message to update, or the thread to reply in, when its ts is known.
    ts: str | None = None
    after: str | None = None
    user: str | None = None
    key: str | None = None
    replaces: str | None = None
    on_sent: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    file: bytes | None = None
    filename: str | None = None
    title: str | None = None
    # A post the bot may not make in `channel` (never invited there) goes to this user's DM instead.
    fallback_user: str | None = None

    def payload(self) -> dict[str, Any]:
        """The stored, JSON-safe part of the message."""
        fields = {
            "text": self.text,
            "blocks": self.blocks,
            "ts": self.ts,
            "user": self.user,
            "filename": self.filename,
            "title": self.title,
            "fallback_user": self.fallback_user,
        }
        return {name: value for name, value in fields.items() if value is not None}


def post(channel: str, text: str, blocks: list[dict[str, Any]] | None = None, **extra: Any) -> Outgoing:
    """A new message in a channel."""
    return Outgoing(POST, channel, text, blocks, **extra)


def reply(channel: str, text: str, *, thread_ts: str | None = None, after: str | None = None, **extra: Any) -> Outgoing:
    """A reply in the thread of a message: by its ts, or by the key of the outbox message that posts it."""
    return Outgoing(REPLY, channel, text, ts=thread_ts, after=after, **extra)


def update(
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    ts: str | None = None,
    after: str | None = None,
    **extra: Any,
) -> Outgoing:
    """New content for a posted message: by its ts, or by the key of the outbox message that posts it."""
    return Outgoing(UPDATE, channel, text, blocks, ts=ts, after=after, **extra)


def dm(user: str, text: str, blocks: list[dict[str, Any]] | None = None, **extra: Any) -> Outgoing:
    """A direct message to a user (chat.postMessage with the user's id as the channel)."""
    return Outgoing(DM, user, text, blocks, **extra)


def ephemeral(channel: str, user: str, text: str, blocks: list[dict[str, Any]] | None = None, **extra: Any) -> Outgoing:
    """A message only `user` sees in `channel`."""
    return Outgoing(EPHEMERAL, channel, text, blocks, user=user, **extra)


def upload(
    channel: str,
    content: bytes,
    filename: str,
    title: str,
    *,
    thread_ts: str | None = None,
    after: str | None = None,
    **extra: Any,
) -> Outgoing:
    """A file shared in a channel, or in a message's thread."""
    return Outgoing(UPLOAD, channel, ts=thread_ts, after=after, file=content, filename=filename, title=title, **extra)
