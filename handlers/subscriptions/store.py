"""The bot's records of subscriptions: which requests have a card and who decides them, and time-bound access."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db import Base, Database

PENDING = "pending"
# A decision in flight carries its winner (decided_by) and which way it goes, so a loser can be told both.
APPROVING, REJECTING = "approving", "rejecting"
# Rows written before the way was recorded.
DECIDING = "deciding"
IN_FLIGHT = (APPROVING, REJECTING, DECIDING)


class RequestCard(Base):
    """One subscription request as the bot tracks it."""

    __tablename__ = "subscription_cards"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    owner_project_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The approval step the request waits on (0: the first) and since when; reminders measure from then.
    step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    step_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The asset's classification as the request was carded: which chain of steps the request goes through, so an
    # approver's queue knows whose step waits without reading each request from DataZone. "" for an asset without
    # one; NULL for a card recorded before the column (the queue reads that request once and records it).
    classification: Mapped[str | None] = mapped_column(Text, nullable=True)


class StepApproval(Base):
    """One approved step of a request's approval chain: who approved it, when, with what comment."""

    __tablename__ = "subscription_approval_steps"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Part of the key: a step is approved once, whichever replica records it first.
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    approved_by: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(String(2000), nullable=True)


ACTIVE, RENEWAL_REQUESTED, ENDED = "active", "renewal_requested", "ended"


class TimedAccess(Base):
    """A subscription approved for a limited time: when it ends and who to tell."""

    __tablename__ = "subscription_access"

    subscription_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64))
    asset_name: Mapped[str] = mapped_column(String(256))
    owner_project_id: Mapped[str] = mapped_column(String(64))
    requester: Mapped[str] = mapped_column(String(512))
    requester_slack: Mapped[str | None] = mapped_column(String(32), nullable=True)
    days: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(24))
    renewal_requested_by: Mapped[str | None] = mapped_column(String(32), nullable=True)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; everything stored is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


# Ids per IN (...) query: well inside every database's limit on bound parameters, however long a queue grows.
_CHUNK = 500


def _chunks(request_ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(request_ids), _CHUNK):
        yield request_ids[start : start + _CHUNK]


class CardStore:
    """Atomic claims on requests, so that an event and a sweep card a request once and one click decides."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @contextmanager
    def _within(self, session: Session | None) -> Iterator[Session]:
        if session is not None:
            yield session
        else:
            with self._db.session() as own:
                yield own

    def claim(
        self,
        domain_id: str,
        request_id: str,
        requested_at: datetime | None = None,
        owner_project_id: str | None = None,
        *,
        classification: str | None,
        channel: str | None = None,
        then: Callable[[Session], None] | None = None,
    ) -> bool:
        """True for the first caller only; later ones (a redelivered event, the sweep) get False.

        `classification` is the asset's ("" when it has none), as the policy's verdict read it.

        `then` runs in the claim's transaction (the card's outbox message), so both happen or neither does.
        """
        try:
            with self._db.session() as session:
                session.add(
                    RequestCard(
                        request_id=request_id,
                        domain_id=domain_id,
                        status=PENDING,
                        channel=channel,
                        created_at=datetime.now(UTC),
                        requested_at=requested_at,
                        owner_project_id=owner_project_id,
                        classification=classification,
                    )
                )
                session.flush()
                if then is not None:
                    then(session)
        except IntegrityError:
            return False
        return True

    def posted(self, request_id: str, channel: str, ts: str, session: Session | None = None) -> None:
        """Remember where the card is."""
        with self._within(session) as session:
            session.execute(
                update(RequestCard).where(RequestCard.request_id == request_id).values(channel=channel, message_ts=ts)
            )

    def start_decision(self, request_id: str, user_id: str, approve: bool = True, step: int = 0) -> bool:
        """True if `user_id` is first to decide; False if someone else already is or did, or the request has moved
        past `step` (the step the decider saw waiting)."""
        with self._db.session() as session:
            won = session.execute(
                update(RequestCard)
                .where(RequestCard.request_id == request_id, RequestCard.status == PENDING, RequestCard.step == step)
                .values(status=APPROVING if approve else REJECTING, decided_by=user_id, decided_at=datetime.now(UTC))
            ).rowcount
        return bool(won)

    def approve_step(
        self,
        request_id: str,
        step: int,
        user_id: str,
        comment: str,
        then: Callable[[Session], None] | None = None,
    ) -> bool:
        """Record `user_id`'s approval of `step` and move the request on to the next (its reminders start again);
        `then` runs in the same transaction (the card's update, the next step's ping). False when someone decided
        first: the step was approved already, or the request is being decided or was."""
        now = datetime.now(UTC)
        try:
            with self._db.session() as session:
                moved = session.execute(
                    update(RequestCard)
                    .where(RequestCard.request_id == request_id, RequestCard.status == PENDING)
                    .where(RequestCard.step == step)
                    .values(step=step + 1, step_started_at=now, reminded_at=None, escalated_at=None)
                ).rowcount
                if not moved:
                    return False
                session.add(
                    StepApproval(
                        request_id=request_id, step=step, approved_by=user_id, approved_at=now, comment=comment or None
                    )
                )
                session.flush()
                if then is not None:
                    then(session)
        except IntegrityError:
            return False
        return True

    def approvals(self, request_id: str) -> list[StepApproval]:
        """The request's approved steps, first step first, with approved_at in UTC."""
        with self._db.session() as session:
            rows = session.scalars(
                select(StepApproval).where(StepApproval.request_id == request_id).order_by(StepApproval.step)
            ).all()
        for row in rows:
            row.approved_at = _aware(row.approved_at)  # type: ignore[assignment]
        return list(rows)

    def finish(
        self,
        request_id: str,
        outcome: str,
        decided_by: str,
        session: Session | None = None,
        *,
        only_from: tuple[str, ...] | None = None,
    ) -> bool:
        """Record the outcome (accepted, rejected, auto_approved, denied); with `only_from`, only from those states."""
        query = update(RequestCard).where(RequestCard.request_id == request_id)
        if only_from is not None:
            query = query.where(RequestCard.status.in_(only_from))
        with self._within(session) as session:
            done = session.execute(
                query.values(status=outcome, decided_by=decided_by, decided_at=datetime.now(UTC))
            ).rowcount
        return bool(done)

    def abandon_decision(self, request_id: str) -> None:
        """The DataZone call failed for a reason that may pass: let the next click try."""
        with self._db.session() as session:
            session.execute(
                update(RequestCard)
                .where(RequestCard.request_id == request_id, RequestCard.status.in_(IN_FLIGHT))
                .values(status=PENDING, decided_by=None, decided_at=None)
            )

    def undecided(self, domain_id: str, stuck_before: datetime) -> list[RequestCard]:
        """Cards still pending here, and decisions in flight since before `stuck_before` (their replica died)."""
        with self._db.session() as session:
            cards = session.scalars(
                select(RequestCard).where(
                    RequestCard.domain_id == domain_id, RequestCard.status.in_((PENDING, *IN_FLIGHT))
                )
            ).all()
        return [c for c in cards if c.status == PENDING or (_aware(c.decided_at) or stuck_before) < stuck_before]

    def get(self, request_id: str) -> RequestCard | None:
        """The card record, if any."""
        with self._db.session() as session:
            return session.scalar(select(RequestCard).where(RequestCard.request_id == request_id))

    def cards_of(self, request_ids: list[str]) -> dict[str, RequestCard]:
        """The card records of these requests (those that have one), by request id."""
        found: dict[str, RequestCard] = {}
        with self._db.session() as session:
            for chunk in _chunks(request_ids):
                cards = session.scalars(select(RequestCard).where(RequestCard.request_id.in_(chunk))).all()
                found.update((card.request_id, card) for card in cards)
        return found

    def approvals_of(self, request_ids: list[str]) -> dict[str, list[StepApproval]]:
        """The approved steps of these requests, first step first, by request id (only those with any)."""
        found: dict[str, list[StepApproval]] = {}
        with self._db.session() as session:
            for chunk in _chunks(request_ids):
                rows = session.scalars(
                    select(StepApproval)
                    .where(StepApproval.request_id.in_(chunk))
                    .order_by(StepApproval.request_id, StepApproval.step)
                ).all()
                for row in rows:
                    row.approved_at = _aware(row.approved_at)  # type: ignore[assignment]
                    found.setdefault(row.request_id, []).append(row)
        return found

    def classified(self, request_id: str, classification: str) -> None:
        """Record the classification of a card recorded before cards kept it."""
        with self._db.session() as session:
            session.execute(
                update(RequestCard)
                .where(RequestCard.request_id == request_id, RequestCard.classification.is_(None))
                .values(classification=classification)
            )

    def waiting(self, older_than: datetime, column: str) -> list[RequestCard]:
        """Pending cards requested before `older_than` whose `column` (reminded_at, escalated_at) is unset."""
        unset = getattr(RequestCard, column)
        with self._db.session() as session:
            cards = session.scalars(
                select(RequestCard).where(
                    RequestCard.status == PENDING, RequestCard.message_ts.is_not(None), unset.is_(None)
                )
            ).all()
        # Measured from when the step waiting now began: each step of a chain has its own reminder and escalation.
        return [
            c
            for c in cards
            if (_aware(c.step_started_at) or _aware(c.requested_at) or _aware(c.created_at)) < older_than  # type: ignore[operator]
        ]

    def mark(self, request_id: str, column: str, step: int, session: Session | None = None) -> bool:
        """Set `column` to now if it was unset and the request still waits on `step` (the one the reminder names);
        False when another replica got there first or the chain moved on (the next step's clock starts afresh)."""
        with self._within(session) as session:
            return bool(
                session.execute(
                    update(RequestCard)
                    .where(RequestCard.request_id == request_id, getattr(RequestCard, column).is_(None))
                    .where(RequestCard.step == step)
                    .values({column: datetime.now(UTC)})
                ).rowcount
            )


class AccessStore:
    """Time-bound subscriptions: recorded at approval, extended on renewal, ended by the expiry task."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, access: TimedAccess) -> None:
        """Remember a time-bound subscription (again, after a retried approval)."""
        with self._db.session() as session:
            session.merge(access)

    def get(self, subscription_id: str) -> TimedAccess | None:
        """The record, with expires_at in UTC."""
        with self._db.session() as session:
            row = session.get(TimedAccess, subscription_id)
        if row is not None:
            row.expires_at = _aware(row.expires_at)  # type: ignore[assignment]
        return row

    def for_subscriptions(self, subscription_ids: list[str]) -> dict[str, TimedAccess]:
        """The records among these subscriptions, by id."""
        with self._db.session() as session:
            rows = session.scalars(select(TimedAccess).where(TimedAccess.subscription_id.in_(subscription_ids))).all()
        for row in rows:
            row.expires_at = _aware(row.expires_at)  # type: ignore[assignment]
        return {row.subscription_id: row for row in rows}

    def ask_renewal(self, subscription_id: str, user_id: str, then: Callable[[Session], None] | None = None) -> bool:
        """Mark a renewal as asked for (and run `then` in that transaction); False if it already was, or has ended."""
        with self._db.session() as session:
            won = session.execute(
                update(TimedAccess)
                .where(TimedAccess.subscription_id == subscription_id, TimedAccess.status == ACTIVE)
                .values(status=RENEWAL_REQUESTED, renewal_requested_by=user_id)
            ).rowcount
            if won and then is not None:
                then(session)
        return bool(won)

    def extend(self, subscription_id: str, expected_expiry: datetime) -> datetime | None:
        """Push the end back by the approved duration once; None if someone else extended it or it ended."""
        row = self.get(subscription_id)
        if row is None or row.status == ENDED or row.expires_at != expected_expiry:
            return None
        new_expiry = max(row.expires_at, datetime.now(UTC)) + timedelta(days=row.days)
        with self._db.session() as session:
            won = session.execute(
                update(TimedAccess)
                .where(TimedAccess.subscription_id == subscription_id, TimedAccess.status != ENDED)
                .where(TimedAccess.expires_at == row.expires_at)
                .values(expires_at=new_expiry, status=ACTIVE, renewal_requested_by=None)
            ).rowcount
        return new_expiry if won else None

    def end(self, subscription_id: str, then: Callable[[Session], None] | None = None) -> bool:
        """Mark the access ended (and run `then` in that transaction); False if it already was (a second run)."""
        with self._db.session() as session:
            won = session.execute(
                update(TimedAccess)
                .where(TimedAccess.subscription_id == subscription_id, TimedAccess.status != ENDED)
                .values(status=ENDED)
            ).rowcount
            if won and then is not None:
                then(session)
        return bool(won)
