"""The bot's record of access reviews: each campaign and, per subscription it asks about, what was decided.

Everything a campaign needs to go on lives here (not in memory), so a restart, or another replica becoming the
scheduler leader, continues it; every change is a conditional update, so a click and a job that both act on an
item, or a job that runs twice, change it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, DateTime, Integer, String, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db import Base, Database, rows_changed

# An item's decision: a person kept or revoked it, or the deadline found it unanswered.
KEEP, REVOKE, UNANSWERED = "keep", "revoke", "unanswered"
# What became of it: access kept, revoked, kept and escalated to the admins, already gone from DataZone, or the
# revoke failed for a reason retrying does not cure (the item's `failure` says which; the report shows it).
KEPT, REVOKED, ESCALATED, GONE, FAILED = "kept", "revoked", "escalated", "gone", "failed"


class ReviewCampaign(Base):
    """One review of the subscriptions to assets of a classification, from its start to its report."""

    __tablename__ = "subscription_review_campaigns"

    campaign_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    domain_id: Mapped[str] = mapped_column(String(64))
    classification: Mapped[str] = mapped_column(String(64))
    # The classification while the campaign is open, NULL once closed: one open campaign per classification.
    open_for: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[str] = mapped_column(String(64))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    remind_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # What the policy said to do with unanswered items when the campaign started (a reload does not change it).
    unanswered: Mapped[str] = mapped_column(String(16))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReviewItem(Base):
    """One subscription under review, as it was when the campaign started, and its decision."""

    __tablename__ = "subscription_review_items"

    campaign_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain_id: Mapped[str] = mapped_column(String(64))
    listing_id: Mapped[str] = mapped_column(String(64))
    asset_name: Mapped[str] = mapped_column(String(256))
    owner_project_id: Mapped[str] = mapped_column(String(64))
    # Which of the asset's cards lists it (an asset with many subscriptions gets several).
    card: Mapped[int] = mapped_column(Integer)
    subscriber: Mapped[str] = mapped_column(String(512))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str] = mapped_column(String(256))
    scope: Mapped[str] = mapped_column(String(512))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The Slack user who asked for this access, when known: they may not vouch for it (Keep), only give it up.
    requester_slack: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # When someone began carrying out the decision: set by the one who wins `begin`, so two replicas never revoke the
    # same item, and old enough it means whoever began died before recording the outcome (the job finishes it).
    executing_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Why a decision could not be carried out (outcome FAILED).
    failure: Mapped[str | None] = mapped_column(String(256), nullable=True)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; everything stored is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _campaign(row: ReviewCampaign) -> ReviewCampaign:
    for name in ("started_at", "deadline", "remind_at", "reminded_at", "closed_at"):
        setattr(row, name, _aware(getattr(row, name)))
    return row


def _item(row: ReviewItem) -> ReviewItem:
    for name in ("since", "ends_at", "decided_at", "executing_at"):
        setattr(row, name, _aware(getattr(row, name)))
    return row


@dataclass(frozen=True)
class Tally:
    """How a campaign's items stand: decided each way, and still waiting."""

    kept: int
    revoked: int
    unanswered: int
    waiting: int

    @property
    def total(self) -> int:
        return self.kept + self.revoked + self.unanswered + self.waiting


def _one(campaign_id: str, subscription_id: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The WHERE of one campaign's item."""
    return ReviewItem.campaign_id == campaign_id, ReviewItem.subscription_id == subscription_id


class ReviewStore:
    """Campaigns and their items, changed only by conditional updates."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def open_campaign(self, campaign: ReviewCampaign, items: list[ReviewItem], then: Callable[[Session], None]) -> bool:
        """Store the campaign and its items, and run `then` (its cards) in the same transaction; False when the
        classification already has an open campaign (another replica, or a second start, was first)."""
        try:
            with self._db.session() as session:
                session.add(campaign)
                session.flush()
                session.add_all(items)
                session.flush()
                then(session)
        except IntegrityError:
            return False
        return True

    def campaign(self, campaign_id: str) -> ReviewCampaign | None:
        with self._db.session() as session:
            row = session.get(ReviewCampaign, campaign_id)
            if row is not None:
                session.expunge(row)
        return _campaign(row) if row is not None else None

    def open_campaigns(self) -> list[ReviewCampaign]:
        """Campaigns not yet closed, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(ReviewCampaign).where(ReviewCampaign.closed_at.is_(None)).order_by(ReviewCampaign.started_at)
            ).all()
            session.expunge_all()
        return [_campaign(row) for row in rows]

    def last_started(self, classification: str) -> datetime | None:
        """When the latest campaign of this classification started, if any did."""
        with self._db.session() as session:
            started = session.scalars(
                select(ReviewCampaign.started_at)
                .where(ReviewCampaign.classification == classification)
                .order_by(ReviewCampaign.started_at.desc())
                .limit(1)
            ).first()
        return _aware(started)

    def items(self, campaign_id: str, listing_id: str | None = None, card: int | None = None) -> list[ReviewItem]:
        """The campaign's items (of one asset, of one of its cards), in the order they were listed."""
        query = select(ReviewItem).where(ReviewItem.campaign_id == campaign_id)
        if listing_id is not None:
            query = query.where(ReviewItem.listing_id == listing_id)
        if card is not None:
            query = query.where(ReviewItem.card == card)
        with self._db.session() as session:
            rows = session.scalars(query.order_by(ReviewItem.listing_id, ReviewItem.since)).all()
            session.expunge_all()
        return [_item(row) for row in rows]

    def item(self, campaign_id: str, subscription_id: str) -> ReviewItem | None:
        with self._db.session() as session:
            row = session.get(ReviewItem, (campaign_id, subscription_id))
            if row is not None:
                session.expunge(row)
        return _item(row) if row is not None else None

    def tally(self, campaign_id: str) -> Tally:
        decisions = [item.decision for item in self.items(campaign_id)]
        return Tally(
            kept=decisions.count(KEEP),
            revoked=decisions.count(REVOKE),
            unanswered=decisions.count(UNANSWERED),
            waiting=decisions.count(None),
        )

    def claim(self, campaign_id: str, subscription_id: str, decision: str, by: str, now: datetime) -> bool:
        """Record the decision if the item has none and its campaign is open; False for everyone after the first."""
        with self._db.session() as session:
            still_open = select(ReviewCampaign.campaign_id).where(
                ReviewCampaign.campaign_id == campaign_id, ReviewCampaign.closed_at.is_(None)
            )
            won = rows_changed(
                session.execute(
                    update(ReviewItem)
                    .where(
                        *_one(campaign_id, subscription_id),
                        ReviewItem.decision.is_(None),
                        ReviewItem.campaign_id.in_(still_open),
                    )
                    .values(decision=decision, decided_by=by, decided_at=now)
                )
            )
        return bool(won)

    def begin(self, campaign_id: str, subscription_id: str, now: datetime, stale_before: datetime) -> bool:
        """Take the carrying out of a decided item: True for one caller only, unless whoever began it did so before
        `stale_before` and never recorded an outcome (it died), when the next caller takes it over."""
        with self._db.session() as session:
            won = rows_changed(
                session.execute(
                    update(ReviewItem)
                    .where(
                        *_one(campaign_id, subscription_id),
                        ReviewItem.decision.is_not(None),
                        ReviewItem.outcome.is_(None),
                        or_(ReviewItem.executing_at.is_(None), ReviewItem.executing_at < stale_before),
                    )
                    .values(executing_at=now)
                )
            )
        return bool(won)

    def pause(self, campaign_id: str, subscription_id: str) -> None:
        """Give up carrying out a decision for now (AWS said try later); it stays decided, for the next run."""
        with self._db.session() as session:
            session.execute(
                update(ReviewItem)
                .where(
                    *_one(campaign_id, subscription_id),
                    ReviewItem.outcome.is_(None),
                )
                .values(executing_at=None)
            )

    def release(self, campaign_id: str, subscription_id: str) -> None:
        """Undo a claim whose action failed, so someone (or the deadline) can decide again."""
        with self._db.session() as session:
            session.execute(
                update(ReviewItem)
                .where(
                    *_one(campaign_id, subscription_id),
                    ReviewItem.outcome.is_(None),
                )
                .values(decision=None, decided_by=None, decided_at=None, executing_at=None)
            )

    def settle(self, campaign_id: str, subscription_id: str, outcome: str, failure: str | None = None) -> None:
        """Record what became of a decided item (and, for FAILED, why)."""
        with self._db.session() as session:
            session.execute(
                update(ReviewItem)
                .where(*_one(campaign_id, subscription_id))
                .values(outcome=outcome, failure=failure[:256] if failure else None)
            )

    def mark_reminded(self, campaign_id: str, now: datetime, then: Callable[[Session], None]) -> bool:
        """True (and `then` run in the same transaction) for the first caller only."""
        with self._db.session() as session:
            won = rows_changed(
                session.execute(
                    update(ReviewCampaign)
                    .where(ReviewCampaign.campaign_id == campaign_id, ReviewCampaign.reminded_at.is_(None))
                    .values(reminded_at=now)
                )
            )
            if won:
                then(session)
        return bool(won)

    def close(self, campaign_id: str, now: datetime, then: Callable[[Session], None]) -> bool:
        """Close the campaign (and run `then`, its report, in the same transaction); False if it already was."""
        with self._db.session() as session:
            won = rows_changed(
                session.execute(
                    update(ReviewCampaign)
                    .where(ReviewCampaign.campaign_id == campaign_id, ReviewCampaign.closed_at.is_(None))
                    .values(closed_at=now, open_for=None)
                )
            )
            if won:
                then(session)
        return bool(won)
