"""The audit log: who did what to which target, when, and how it ended."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Database

Result = Literal["ok", "denied", "failed", "conflict"]


class AuditEntry(Base):
    """One state-changing action, attempted or done."""

    __tablename__ = "audit_log"

    # BigInteger on PostgreSQL; SQLite only autoincrements a plain INTEGER primary key.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(512))
    result: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error_id: Mapped[str | None] = mapped_column(String(16), nullable=True)


class AuditLog:
    """Writes and reads audit entries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        result: Result,
        detail: dict[str, Any] | None = None,
        error_id: str | None = None,
    ) -> None:
        """Append one entry."""
        entry = AuditEntry(
            at=datetime.now(UTC),
            actor=actor,
            action=action,
            target=target[:512],
            result=result,
            detail=detail,
            error_id=error_id,
        )
        with self._db.session() as session:
            session.add(entry)

    def recent(self, limit: int = 50, *, action: str | None = None) -> list[AuditEntry]:
        """The newest entries first, optionally for one action."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        with self._db.session() as session:
            return list(session.scalars(query))
