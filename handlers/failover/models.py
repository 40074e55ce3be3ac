"""The failover tables: alerts with their lifecycle and card, the event log that feeds each card's thread, silences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
# While a replica posts the card, card_ts holds this claim instead of a timestamp.
POSTING = "posting"
_ID = BigInteger().with_variant(Integer, "sqlite")


class Alert(Base):
    """One incident: a cluster's primaries (or one alarm) from first signal to resolution, and its card."""

    __tablename__ = "failover_alerts"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    # The key while the alert is open or acknowledged, NULL once resolved: one active alert per key, atomically.
    active_key: Mapped[str | None] = mapped_column(String(300), unique=True, nullable=True)
    cluster_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    cluster_name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    reporters: Mapped[dict[str, Any]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    primaries: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    escalate_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    flaps: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    card_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    card_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    chart: Mapped[str] = mapped_column(String(16), default="pending")
    # The uploaded chart the card shows (its Slack file id and alt text); refusals count Slack's invalid_blocks
    # answers to a card showing it (the file was not processed yet), after a few of which the card goes without.
    chart_file: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chart_alt: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    chart_refusals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Every change bumps version; the card is re-rendered while rendered_version lags (updates coalesce).
    version: Mapped[int] = mapped_column(Integer, default=1)
    rendered_version: Mapped[int] = mapped_column(Integer, default=0)


class ClusterEvent(Base):
    """One thing that happened (a signal, an unknown payload, a click); `note` ones go to the card's thread."""

    __tablename__ = "failover_events"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    alert_id: Mapped[int | None] = mapped_column(_ID, index=True, nullable=True)
    cluster_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    reporter: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    note: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Silence(Base):
    """A cluster (or an alarm's key) muted until a time."""

    __tablename__ = "failover_silences"

    target: Mapped[str] = mapped_column(String(300), primary_key=True)
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
