"""The bot's records of data source runs: where each run's card is, and whether its summary was posted."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Database

FOLLOWING, REPORTED = "following", "reported"


class RunCard(Base):
    """One data source run the bot started, and the Slack thread that follows it."""

    __tablename__ = "publishing_runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain_id: Mapped[str] = mapped_column(String(64))
    data_source_id: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(512))
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    last_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RunStore:
    """Run cards, with an atomic claim on posting the summary so a poller and an event post it once."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        run_id: str,
        domain_id: str,
        data_source_id: str,
        label: str,
        requested_by: str,
        channel: str | None,
        thread_ts: str | None,
    ) -> None:
        """Remember a run the bot started (a second add of the same run is ignored)."""
        try:
            with self._db.session() as session:
                session.add(
                    RunCard(
                        run_id=run_id,
                        domain_id=domain_id,
                        data_source_id=data_source_id,
                        label=label,
                        requested_by=requested_by,
                        channel=channel,
                        thread_ts=thread_ts,
                        state=FOLLOWING,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            pass

    def get(self, run_id: str) -> RunCard | None:
        """The run's card, if the bot started it."""
        with self._db.session() as session:
            return session.scalar(select(RunCard).where(RunCard.run_id == run_id))

    def saw(self, run_id: str, status: str) -> bool:
        """Record the run's status; True if it changed (so the thread hears of it once)."""
        with self._db.session() as session:
            changed = session.execute(
                update(RunCard)
                .where(RunCard.run_id == run_id, RunCard.state == FOLLOWING)
                .where((RunCard.last_status.is_(None)) | (RunCard.last_status != status))
                .values(last_status=status)
            ).rowcount
        return bool(changed)

    def claim_report(self, run_id: str) -> bool:
        """True for the first caller only: whoever gets it posts the run's summary."""
        with self._db.session() as session:
            won = session.execute(
                update(RunCard)
                .where(RunCard.run_id == run_id, RunCard.state == FOLLOWING)
                .values(state=REPORTED, reported_at=datetime.now(UTC))
            ).rowcount
        return bool(won)
