"""The outbox tables: messages the bot owes Slack, and each channel's next allowed send time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base

_ID = BigInteger().with_variant(Integer, "sqlite")

# Kinds of message: a channel post, a reply in a thread, an update of a posted message, an ephemeral to one
# user, a direct message (channel = the user's id) and a file upload (into a channel or a thread).
POST, REPLY, UPDATE, EPHEMERAL, DM, UPLOAD = "post", "reply", "update", "ephemeral", "dm", "upload"
KINDS = (POST, REPLY, UPDATE, EPHEMERAL, DM, UPLOAD)

# PENDING: to send. SENDING: a replica holds it. UNCERTAIN: a send may have reached Slack (5xx, timeout, a
# replica died mid-call); look before sending again. SENT, FAILED, SUPERSEDED (a newer update replaced it): done.
PENDING, SENDING, UNCERTAIN, SENT, FAILED, SUPERSEDED = (
    "pending",
    "sending",
    "uncertain",
    "sent",
    "failed",
    "superseded",
)
WAITING = (PENDING, UNCERTAIN)


class OutboxMessage(Base):
    """One thing to say in Slack, from the moment the state that causes it is written until Slack has it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    # Enqueueing a key that exists is a no-op: a rerun job or a redelivered event cannot say a thing twice.
    key: Mapped[str | None] = mapped_column(String(300), unique=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The pacing key: the channel id, or the user id of a DM.
    channel: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    file: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The message whose ts this one needs (the card an update edits, the parent of a thread reply).
    after_id: Mapped[int | None] = mapped_column(_ID, index=True, nullable=True)
    # A newer update with the same `replaces` supersedes an older one not yet sent.
    replaces: Mapped[str | None] = mapped_column(String(300), index=True, nullable=True)
    on_sent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # When the first attempt went out: where a look for a post that may have landed starts.
    first_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result_channel: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ChannelPace(Base):
    """When a channel may next be sent to; every replica claims the slot here, so they pace together."""

    __tablename__ = "outbox_channels"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    held_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
