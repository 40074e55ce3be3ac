"""Who asked for a request from Slack: the bot's own record, for requests DataZone cannot tie to a person.

A request /catalog makes is created by the bot itself or by a session on the requester's role, and neither is in
the policy's `people` map; without this record such a request would have no requester to tell or to keep from
approving it. The catalog writes it here, as the subscriptions capability owns who asked.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Database


class SubscriptionRequester(Base):
    """The Slack user a subscription request was asked for by, as the bot made it."""

    __tablename__ = "subscription_requesters"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slack_user: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def record_requester(db: Database, request_id: str, slack_user: str) -> None:
    """Remember that `slack_user` asked for `request_id` (called by whoever creates the request for them)."""
    with db.session() as session:
        row = SubscriptionRequester(request_id=request_id, slack_user=slack_user, recorded_at=datetime.now(UTC))
        session.merge(row)


def recorded_requester(db: Database, request_id: str) -> str | None:
    """The Slack user recorded as having asked for `request_id`, if the bot made it for someone."""
    with db.session() as session:
        row = session.get(SubscriptionRequester, request_id)
        return row.slack_user if row is not None else None
