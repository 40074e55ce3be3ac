"""Which requests have a card, where it is, and who is deciding: the bot's record that makes decisions unique."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Database

PENDING, DECIDING = "pending", "deciding"


class RequestCard(Base):
    """One subscription request as the bot tracks it."""

    __tablename__ = "subscription_cards"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CardStore:
    """Atomic claims on requests, so that an event and a sweep card a request once and one click decides."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def claim(self, domain_id: str, request_id: str) -> bool:
        """True for the first caller only; later ones (a redelivered event, the sweep) get False."""
        try:
            with self._db.session() as session:
                session.add(
                    RequestCard(
                        request_id=request_id, domain_id=domain_id, status=PENDING, created_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            return False
        return True

    def posted(self, request_id: str, channel: str, ts: str) -> None:
        """Remember where the card is."""
        with self._db.session() as session:
            session.execute(
                update(RequestCard).where(RequestCard.request_id == request_id).values(channel=channel, message_ts=ts)
            )

    def start_decision(self, request_id: str, user_id: str) -> bool:
        """True if `user_id` is first to decide; False if someone else already is or did."""
        with self._db.session() as session:
            won = session.execute(
                update(RequestCard)
                .where(RequestCard.request_id == request_id, RequestCard.status == PENDING)
                .values(status=DECIDING, decided_by=user_id, decided_at=datetime.now(UTC))
            ).rowcount
        return bool(won)

    def finish(self, request_id: str, outcome: str, decided_by: str) -> None:
        """Record the outcome (accepted, rejected, auto_approved, denied)."""
        with self._db.session() as session:
            session.execute(
                update(RequestCard)
                .where(RequestCard.request_id == request_id)
                .values(status=outcome, decided_by=decided_by, decided_at=datetime.now(UTC))
            )

    def abandon_decision(self, request_id: str) -> None:
        """The DataZone call failed for a reason that may pass: let the next click try."""
        with self._db.session() as session:
            session.execute(
                update(RequestCard)
                .where(RequestCard.request_id == request_id, RequestCard.status == DECIDING)
                .values(status=PENDING, decided_by=None, decided_at=None)
            )

    def get(self, request_id: str) -> RequestCard | None:
        """The card record, if any."""
        with self._db.session() as session:
            return session.scalar(select(RequestCard).where(RequestCard.request_id == request_id))
