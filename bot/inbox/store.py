"""Which inbound events were already handled, so a redelivery is not handled twice."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Database


class HandledEvent(Base):
    """One event id that the inbox has finished with."""

    __tablename__ = "inbox_handled"

    event_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    source: Mapped[str] = mapped_column(String(256))
    detail_type: Mapped[str] = mapped_column(String(256))
    outcome: Mapped[str] = mapped_column(String(16))
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class HandledEvents:
    """Reads and writes handled event ids."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def seen(self, event_id: str) -> bool:
        """True if the event was handled before."""
        with self._db.session() as session:
            return session.scalar(select(HandledEvent.event_id).where(HandledEvent.event_id == event_id)) is not None

    def mark(self, event_id: str, source: str, detail_type: str, outcome: str) -> None:
        """Remember the event; a concurrent replica having done so already is fine."""
        try:
            with self._db.session() as session:
                session.add(
                    HandledEvent(
                        event_id=event_id,
                        source=source[:256],
                        detail_type=detail_type[:256],
                        outcome=outcome,
                        handled_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            pass
