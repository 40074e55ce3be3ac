"""A lease in the bot's database: whoever holds it is the one replica that runs scheduled jobs."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable

from sqlalchemy import Float, String, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Database, rows_changed


class LeaseRow(Base):
    """Who holds a named lease, and until when (epoch seconds)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[float] = mapped_column(Float)


def replica_id() -> str:
    """Names this process among the replicas: host, pid and a random suffix against pid reuse."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    """Acquire, renew and release one named lease; atomic on SQLite and PostgreSQL alike."""

    def __init__(
        self, db: Database, name: str, holder: str, ttl_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self.name = name
        self.holder = holder
        self.ttl = ttl_seconds
        self._clock = clock

    def acquire(self) -> bool:
        """Take the lease if it is free or expired, or renew it if ours; True if we hold it now."""
        now = self._clock()
        with self._db.session() as session:
            taken = rows_changed(
                session.execute(
                    update(LeaseRow)
                    .where(LeaseRow.name == self.name, or_(LeaseRow.holder == self.holder, LeaseRow.expires_at < now))
                    .values(holder=self.holder, expires_at=now + self.ttl)
                )
            )
        if taken:
            return True
        try:
            with self._db.session() as session:
                session.add(LeaseRow(name=self.name, holder=self.holder, expires_at=now + self.ttl))
        except IntegrityError:
            return False  # the row exists and someone else holds it
        return True

    def release(self) -> None:
        """Give the lease up now, so another replica need not wait for it to expire."""
        with self._db.session() as session:
            session.execute(delete(LeaseRow).where(LeaseRow.name == self.name, LeaseRow.holder == self.holder))

    def current_holder(self) -> str | None:
        """Who holds the lease now, if anyone."""
        with self._db.session() as session:
            row = session.scalar(select(LeaseRow).where(LeaseRow.name == self.name))
        return row.holder if row is not None and row.expires_at >= self._clock() else None
