"""The outbox's rows: enqueue in the caller's transaction, claim one message at a time, record how it ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from bot.db import Database, rows_changed
from bot.outbox.message import Outgoing
from bot.outbox.models import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    SUPERSEDED,
    UNCERTAIN,
    WAITING,
    ChannelPace,
    OutboxMessage,
)

# A message claimed longer ago than this belonged to a replica that died mid-call: it may have landed.
STALE_CLAIM = timedelta(minutes=2)
# Finished messages are kept this long: their keys keep a rerun from saying the same thing again, and later
# lines find a card's ts by its key (a publishing run is followed for a day at most).
KEEP_FINISHED = timedelta(days=30)

log = structlog.get_logger(__name__)


class MissingDependency(LookupError):
    """An update or reply named (by key) a message the outbox has never been asked to send."""


@dataclass(frozen=True)
class Claimed:
    """A message this replica now sends, with the ts and channel of the message it depends on, if any."""

    message: OutboxMessage
    target_channel: str | None
    target_ts: str | None


class OutboxStore:
    """Rows of the outbox; every transition is a conditional UPDATE, so replicas cannot both send a message."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- enqueue ------------------------------------------------------------------------------------

    def enqueue(self, session: Session, outgoing: Outgoing, now: datetime | None = None) -> int:
        """Add `outgoing` in the caller's transaction; a key already there returns that message's id instead."""
        now = now or datetime.now(UTC)
        if outgoing.key is not None:
            existing = session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == outgoing.key))
            if existing is not None:
                return existing
        after_id = None
        if outgoing.after is not None:
            after_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == outgoing.after))
            if after_id is None:
                raise MissingDependency(f"no outbox message with key {outgoing.after!r}")
        if outgoing.replaces is not None:
            # Only the newest rendering matters; one not yet claimed is dropped (one being sent finishes).
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.replaces == outgoing.replaces, OutboxMessage.status.in_(WAITING))
                .values(status=SUPERSEDED)
            )
        values = {
            "key": outgoing.key,
            "kind": outgoing.kind,
            "channel": outgoing.channel,
            "payload": outgoing.payload(),
            "file": outgoing.file,
            "after_id": after_id,
            "replaces": outgoing.replaces,
            "on_sent": outgoing.on_sent,
            "context": outgoing.context or None,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        # Two callers may enqueue one key at once (a redelivered event racing the sweep): the second must be a no-op,
        # not an IntegrityError that rolls back the state it came with.
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=[OutboxMessage.key])
        new_id = session.scalar(statement.returning(OutboxMessage.id))
        if new_id is None:
            new_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == outgoing.key))
        if new_id is None:  # the row was there a moment ago: only a delete in between could do this
            raise RuntimeError(f"outbox message {outgoing.key!r} vanished while it was enqueued")
        return int(new_id)

    # -- what is due --------------------------------------------------------------------------------

    def ready_channels(self, now: datetime) -> list[str]:
        """Channels with a message due whose send slot is open now."""
        dep = aliased(OutboxMessage)
        query = (
            select(OutboxMessage.channel)
            .outerjoin(dep, dep.id == OutboxMessage.after_id)
            .outerjoin(ChannelPace, ChannelPace.channel == OutboxMessage.channel)
            .where(
                OutboxMessage.status.in_(WAITING),
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.after_id.is_(None), dep.status == SENT),
                or_(ChannelPace.next_at.is_(None), ChannelPace.next_at <= now),
            )
            .distinct()
        )
        with self._db.session() as session:
            return list(session.scalars(query))

    def claim_next(self, channel: str, owner: str, now: datetime) -> Claimed | None:
        """Claim the oldest due message in `channel` whose dependency has landed; None if there is none."""
        dep = aliased(OutboxMessage)
        query = (
            select(OutboxMessage, dep.result_channel, dep.result_ts)
            .outerjoin(dep, dep.id == OutboxMessage.after_id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status.in_(WAITING),
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.after_id.is_(None), dep.status == SENT),
            )
            .order_by(OutboxMessage.id)
            .limit(5)
        )
        with self._db.session() as session:
            candidates = session.execute(query).all()
        for message, dep_channel, dep_ts in candidates:
            with self._db.session() as session:
                won = rows_changed(
                    session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == message.id, OutboxMessage.status == message.status)
                        .values(status=SENDING, claimed_by=owner, claimed_at=now, attempts=OutboxMessage.attempts + 1)
                    )
                )
            if won:
                message.attempts += 1
                message.claimed_by, message.claimed_at = owner, now
                return Claimed(message, dep_channel, dep_ts)
        return None

    def pending_count(self) -> int:
        """Messages not yet sent (for health and benchmarks)."""
        with self._db.session() as session:
            query = select(func.count()).select_from(OutboxMessage)
            return int(session.scalar(query.where(OutboxMessage.status.in_((*WAITING, SENDING)))) or 0)

    def get(self, message_id: int) -> OutboxMessage | None:
        """One message."""
        with self._db.session() as session:
            return session.get(OutboxMessage, message_id)

    def by_key(self, key: str) -> OutboxMessage | None:
        """The message enqueued under `key`."""
        with self._db.session() as session:
            return session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))

    # -- outcomes -----------------------------------------------------------------------------------

    def sent(
        self,
        message: OutboxMessage,
        channel: str | None,
        ts: str | None,
        then: Callable[[Session], None] | None = None,
    ) -> None:
        """Slack has it; `then` (the caller's callback) runs in the same transaction."""
        with self._db.session() as session:
            recorded = rows_changed(
                session.execute(
                    update(OutboxMessage)
                    .where(_held(message))
                    .values(
                        status=SENT, sent_at=datetime.now(UTC), result_channel=channel, result_ts=ts, last_error=None
                    )
                )
            )
            # A claim lost meanwhile (taken for a dead replica's) belongs to the replica that took it. For a post or
            # a reply its look-up finds this one, records it and runs the callback once; a DM, an ephemeral or an
            # upload cannot be looked up, so that replica sends a second copy: said here, as it is the rare duplicate.
            if not recorded:
                log.warning("outbox_sent_after_claim_lost", message=message.id, kind=message.kind, channel=channel)
            elif then is not None:
                then(session)

    def started(self, message: OutboxMessage, now: datetime) -> None:
        """The first attempt goes out now: a later look for it starts here."""
        if message.first_sent_at is None:
            with self._db.session() as session:
                session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(first_sent_at=now))
            message.first_sent_at = now

    def renew(self, message: OutboxMessage, now: datetime) -> bool:
        """Keep the claim fresh before another call of the same attempt; False if it is no longer this replica's.

        A claim older than STALE_CLAIM is taken for a dead replica's, so a long attempt renews it as it goes.
        """
        with self._db.session() as session:
            return bool(
                rows_changed(session.execute(update(OutboxMessage).where(_held(message)).values(claimed_at=now)))
            )

    def retry(
        self, message: OutboxMessage, error: str, delay: timedelta, *, uncertain: bool, counts: bool = True
    ) -> None:
        """Try again after `delay`; `uncertain` when the last attempt may have reached Slack.

        `counts=False` for a rate-limited call: Slack turned it away unread, so it is no failure, and counting it
        would make the backoff after a rate-limit window start minutes long (2 ** attempts).
        """
        status = UNCERTAIN if uncertain or message.status == UNCERTAIN else PENDING
        attempts = OutboxMessage.attempts if counts else OutboxMessage.attempts - 1
        with self._db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(_held(message))
                .values(
                    status=status,
                    next_attempt_at=datetime.now(UTC) + delay,
                    claimed_by=None,
                    claimed_at=None,
                    last_error=error[:1000],
                    attempts=attempts,
                )
            )
        if not counts:
            message.attempts = max(0, message.attempts - 1)

    def failed(self, message: OutboxMessage, error: str) -> None:
        """Slack will not take it; messages that needed its ts fail with it."""
        with self._db.session() as session:
            failed = rows_changed(
                session.execute(
                    update(OutboxMessage)
                    .where(_held(message))
                    .values(status=FAILED, last_error=error[:1000], claimed_by=None, claimed_at=None)
                )
            )
            if not failed:
                return
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.after_id == message.id, OutboxMessage.status.in_(WAITING))
                .values(status=FAILED, last_error="the message it depends on was never posted")
            )

    def housekeeping(self, now: datetime) -> dict[str, int]:
        """Claims left by a dead replica become uncertain; dependents of failed messages fail; old rows go."""
        dep = aliased(OutboxMessage)
        with self._db.session() as session:
            stale = rows_changed(
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < now - STALE_CLAIM)
                    .values(status=UNCERTAIN, claimed_by=None, claimed_at=None, next_attempt_at=now)
                )
            )
            orphans = session.scalars(
                select(OutboxMessage.id)
                .join(dep, dep.id == OutboxMessage.after_id)
                .where(OutboxMessage.status.in_(WAITING), dep.status.in_((FAILED, SUPERSEDED)))
            ).all()
            if orphans:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(orphans), OutboxMessage.status.in_(WAITING))
                    .values(status=FAILED, last_error="the message it depends on was never posted")
                )
            pruned = rows_changed(
                session.execute(
                    delete(OutboxMessage).where(
                        OutboxMessage.status.in_((SENT, FAILED, SUPERSEDED)),
                        OutboxMessage.created_at < now - KEEP_FINISHED,
                    )
                )
            )
        return {"stale": stale, "orphans": len(orphans), "pruned": pruned}


def _held(message: OutboxMessage) -> ColumnElement[bool]:
    """The row is still claimed by the replica that claimed `message` (not re-claimed after looking stale)."""
    return and_(
        OutboxMessage.id == message.id,
        OutboxMessage.status == SENDING,
        OutboxMessage.claimed_by == message.claimed_by,
    )
