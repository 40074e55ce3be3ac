"""The bot's records of data source runs: where each run's card is, and whether its summary was posted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import DateTime, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Database

FOLLOWING, REPORTED = "following", "reported"
# Ended without a summary: followed past the limit, or DataZone no longer knows the run.
GAVE_UP, GONE = "gave_up", "gone"


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
        return self.end(run_id, REPORTED)

    def end(self, run_id: str, state: str) -> bool:
        """Leave "following" for `state`; True for the first caller only, so one message says how it ended."""
        # reported_at is when the run stopped being followed, whichever way it ended.
        with self._db.session() as session:
            won = session.execute(
                update(RunCard)
                .where(RunCard.run_id == run_id, RunCard.state == FOLLOWING)
                .values(state=state, reported_at=datetime.now(UTC))
            ).rowcount
        return bool(won)

    def following(self, limit: int) -> Sequence[RunCard]:
        """Up to `limit` runs still followed, oldest first (so the ones due to be given up come first)."""
        with self._db.session() as session:
            return session.scalars(
                select(RunCard).where(RunCard.state == FOLLOWING).order_by(RunCard.created_at).limit(limit)
            ).all()
