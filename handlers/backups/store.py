"""The bot's records of backups: one row per run, restore plans, and which alerts were already posted."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Float, Integer, String, Text, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db import Base, Database

RUNNING, SUCCEEDED, PARTIAL, FAILED = "running", "succeeded", "partial", "failed"
# A run whose holder died (no heartbeat within the bound): nothing is running it any more.
ABANDONED = "abandoned"
APPLYING = "applying"
# A run that wrote everything it could read counts for the RPO even if a few entities were malformed.
COMPLETE = (SUCCEEDED, PARTIAL)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone-aware columns; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class BackupRun(Base):
    """One backup run: what started it, how long it took, what it wrote, what went wrong."""

    __tablename__ = "backup_runs"

    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    domain_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))  # full, incremental, event
    trigger: Mapped[str] = mapped_column(String(64))  # schedule, a Slack user, cli, an event id
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    counts: Mapped[str] = mapped_column(Text, default="{}")  # kind -> read/written/unchanged/tombstoned/errors
    write_calls: Mapped[int] = mapped_column(Integer, default=0)
    items_written: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[str] = mapped_column(Text, default="[]")  # [{kind, id, error}]
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Renewed while the run works; a running record whose heartbeat is old has no holder any more.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end."""
        end, start = aware(self.ended_at), aware(self.started_at)
        return (end - start).total_seconds() if end and start else None

    @property
    def count_map(self) -> dict[str, dict[str, int]]:
        """Counts per entity kind."""
        return json.loads(self.counts or "{}")

    @property
    def error_list(self) -> list[dict[str, str]]:
        """Per-entity errors."""
        return json.loads(self.errors or "[]")


class RestorePlan(Base):
    """What a restore would do in a target domain; applied later, once, by an admin."""

    __tablename__ = "backup_restore_plans"

    plan_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_domain_id: Mapped[str] = mapped_column(String(64))
    target_domain_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # planned, applying, applied, failed
    steps: Mapped[str] = mapped_column(Text)  # JSON list of steps
    summary: Mapped[str] = mapped_column(Text)  # JSON: kind -> action -> count
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rto_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BackupAlert(Base):
    """An alert posted once: the key names the failed run or the RPO breach."""

    __tablename__ = "backup_alerts"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BackupStore:
    """Run records, plans and alert keys in the bot's database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def start(self, run_id: str, domain_id: str, mode: str, trigger: str) -> BackupRun:
        """A new run, status running."""
        run = BackupRun(
            run_id=run_id,
            domain_id=domain_id,
            mode=mode,
            trigger=trigger[:64],
            status=RUNNING,
            started_at=datetime.now(UTC),
            heartbeat_at=datetime.now(UTC),
            counts="{}",
            errors="[]",
            write_calls=0,
            items_written=0,
        )
        with self._db.session() as session:
            session.add(run)
        return run

    def beat(self, run_id: str) -> bool:
        """Renew a running run's heartbeat; False when the run is no longer running (another run abandoned it)."""
        with self._db.session() as session:
            renewed = session.execute(
                update(BackupRun)
                .where(BackupRun.run_id == run_id, BackupRun.status == RUNNING)
                .values(heartbeat_at=datetime.now(UTC))
            ).rowcount
        return bool(renewed)

    def abandon(self, domain_id: str | None, stale_after: timedelta, exclusive_except: str | None = None) -> list[str]:
        """Mark abandoned the running runs whose heartbeat is older than `stale_after`; their ids.

        With `exclusive_except` (a run that holds the domain's run lease), every other running full or
        incremental run of the domain is abandoned too: only the lease holder can be alive.
        """
        now = datetime.now(UTC)
        stale = func.coalesce(BackupRun.heartbeat_at, BackupRun.started_at) < now - stale_after
        dead = stale
        if exclusive_except is not None:
            dead = or_(stale, (BackupRun.mode != "event") & (BackupRun.run_id != exclusive_except))
        query = select(BackupRun).where(BackupRun.status == RUNNING, dead)
        if domain_id is not None:
            query = query.where(BackupRun.domain_id == domain_id)
        abandoned = []
        with self._db.session() as session:
            for run in session.scalars(query):
                last = aware(run.heartbeat_at or run.started_at)
                # Only a row still running is changed: the run may have finished in the meantime.
                changed = session.execute(
                    update(BackupRun)
                    .where(BackupRun.run_id == run.run_id, BackupRun.status == RUNNING)
                    .values(
                        status=ABANDONED,
                        ended_at=now,
                        failure=f"abandoned: its process stopped (last heartbeat {last:%Y-%m-%d %H:%M:%S} UTC)",
                    )
                ).rowcount
                if changed:
                    abandoned.append(run.run_id)
        return abandoned

    def finish(
        self,
        run_id: str,
        status: str,
        counts: dict[str, Any],
        calls: int,
        items: int,
        errors: list[Any],
        failure: str | None = None,
    ) -> BackupRun:
        """Record how the run ended."""
        with self._db.session() as session:
            session.execute(
                update(BackupRun)
                .where(BackupRun.run_id == run_id)
                .values(
                    status=status,
                    ended_at=datetime.now(UTC),
                    counts=json.dumps(counts),
                    write_calls=calls,
                    items_written=items,
                    errors=json.dumps(errors[:500]),
                    failure=failure,
                )
            )
        found = self.get(run_id)
        assert found is not None
        return found

    def get(self, run_id: str) -> BackupRun | None:
        """One run."""
        with self._db.session() as session:
            return session.get(BackupRun, run_id)

    def recent(self, domain_id: str, limit: int = 10, modes: tuple[str, ...] | None = None) -> list[BackupRun]:
        """The newest runs first."""
        query = select(BackupRun).where(BackupRun.domain_id == domain_id)
        if modes:
            query = query.where(BackupRun.mode.in_(modes))
        with self._db.session() as session:
            return list(session.scalars(query.order_by(BackupRun.started_at.desc()).limit(limit)))

    def last_complete(self, domain_id: str) -> BackupRun | None:
        """The newest full or incremental run that finished (the RPO is measured from its start)."""
        query = (
            select(BackupRun)
            .where(
                BackupRun.domain_id == domain_id,
                BackupRun.mode.in_(("full", "incremental")),
                BackupRun.status.in_(COMPLETE),
            )
            .order_by(BackupRun.started_at.desc())
            .limit(1)
        )
        with self._db.session() as session:
            return session.scalar(query)

    def completed(self, domain_id: str, since: datetime) -> list[BackupRun]:
        """The full and incremental runs that completed since `since`, and the last one before (the backup's age
        at `since` counts from it), oldest first."""
        counted = (
            BackupRun.domain_id == domain_id,
            BackupRun.mode.in_(("full", "incremental")),
            BackupRun.status.in_(COMPLETE),
            BackupRun.ended_at.is_not(None),
        )
        with self._db.session() as session:
            recent = list(session.scalars(select(BackupRun).where(*counted, BackupRun.ended_at >= since)))
            before = session.scalar(
                select(BackupRun).where(*counted, BackupRun.ended_at < since).order_by(BackupRun.ended_at.desc())
            )
        return sorted([*([before] if before else []), *recent], key=lambda r: aware(r.ended_at))  # type: ignore[arg-type, return-value]

    def running(self, domain_id: str) -> BackupRun | None:
        """A run in progress, if any."""
        query = select(BackupRun).where(
            BackupRun.domain_id == domain_id, BackupRun.status == RUNNING, BackupRun.mode != "event"
        )
        with self._db.session() as session:
            return session.scalar(query.limit(1))

    def alert_once(self, key: str, then: Callable[[Session], object] | None = None) -> bool:
        """True for the first caller with `key` (across replicas); False if that alert was posted.

        `then` runs in the same transaction (the alert's outbox message), so a claimed alert is never lost.
        """
        try:
            with self._db.session() as session:
                session.add(BackupAlert(key=key[:120], posted_at=datetime.now(UTC)))
                session.flush()
                if then is not None:
                    then(session)
        except IntegrityError:
            return False
        return True

    # -- restore plans -----------------------------------------------------------------------------

    def save_plan(self, plan: RestorePlan) -> None:
        """Store a new plan."""
        with self._db.session() as session:
            session.add(plan)

    def plan(self, plan_id: str) -> RestorePlan | None:
        """One plan."""
        with self._db.session() as session:
            return session.get(RestorePlan, plan_id)

    def claim_plan(self, plan_id: str) -> bool:
        """Move a planned, failed or abandoned plan to applying; False if it is applying or applied already."""
        with self._db.session() as session:
            won = session.execute(
                update(RestorePlan)
                .where(RestorePlan.plan_id == plan_id, RestorePlan.status.in_(("planned", "failed", ABANDONED)))
                .values(status=APPLYING, heartbeat_at=datetime.now(UTC))
            ).rowcount
        return bool(won)

    def beat_plan(self, plan_id: str) -> bool:
        """Renew the heartbeat of a plan being applied; False once it is no longer applying."""
        with self._db.session() as session:
            renewed = session.execute(
                update(RestorePlan)
                .where(RestorePlan.plan_id == plan_id, RestorePlan.status == APPLYING)
                .values(heartbeat_at=datetime.now(UTC))
            ).rowcount
        return bool(renewed)

    def abandon_plans(self, stale_after: timedelta) -> list[str]:
        """Mark abandoned the plans left applying by a process that died (heartbeat older than `stale_after`)."""
        cutoff = datetime.now(UTC) - stale_after
        stale = func.coalesce(RestorePlan.heartbeat_at, RestorePlan.created_at) < cutoff
        with self._db.session() as session:
            ids = list(session.scalars(select(RestorePlan.plan_id).where(RestorePlan.status == APPLYING, stale)))
            if ids:
                session.execute(
                    update(RestorePlan)
                    .where(RestorePlan.plan_id.in_(ids), RestorePlan.status == APPLYING, stale)
                    .values(status=ABANDONED)
                )
        return ids

    def finish_plan(self, plan_id: str, status: str, rto: float, result: dict[str, Any]) -> None:
        """Record how applying went, and the measured recovery time."""
        with self._db.session() as session:
            session.execute(
                update(RestorePlan)
                .where(RestorePlan.plan_id == plan_id)
                .values(status=status, applied_at=datetime.now(UTC), rto_seconds=rto, result=json.dumps(result))
            )
