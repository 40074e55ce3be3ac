"""Per-channel pacing shared by every replica: a row per channel holds the next time anyone may send there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database, rows_changed
from bot.outbox.models import ChannelPace

# Slack allows about one message per second per channel (https://api.slack.com/apis/rate-limits, "Posting
# messages"), with short bursts it does not promise.
INTERVAL = timedelta(seconds=1)
# While a call is in flight the channel is held this long; a replica that dies mid-call frees it when it passes.
# Longer than the delivery client's timeout, so a slow call never loses the slot while it runs; an attempt of
# several calls (a look-up, then the post) extends the hold before each one.
HOLD = timedelta(seconds=30)


class ChannelPacer:
    """Claims a channel's send slot atomically in the database; the next slot opens an interval after the call ends.

    Counting from the end of the call rather than its start means two calls reach Slack at least an interval
    apart whatever the network did in between. Replicas compare their own clocks with the stored time, so
    pacing across machines is as good as their clock sync (NTP keeps it to milliseconds).
    """

    def __init__(self, db: Database, owner: str, interval: timedelta = INTERVAL) -> None:
        self._db = db
        self._owner = owner
        self.interval = interval

    def acquire(self, channel: str, now: datetime | None = None) -> bool:
        """True if this replica may send one call to `channel` now; the slot is held until `release`."""
        now = now or datetime.now(UTC)
        with self._db.session() as session:
            won = rows_changed(
                session.execute(
                    update(ChannelPace)
                    .where(ChannelPace.channel == channel, ChannelPace.next_at <= now)
                    .values(next_at=now + HOLD, held_by=self._owner)
                )
            )
            if won or session.scalar(select(ChannelPace.channel).where(ChannelPace.channel == channel)):
                return bool(won)
        try:
            with self._db.session() as session:
                session.add(ChannelPace(channel=channel, next_at=now + HOLD, held_by=self._owner))
        except IntegrityError:
            return False  # another replica made the row, and holds it, this very moment
        return True

    def extend(self, channel: str, now: datetime | None = None) -> bool:
        """Hold the slot a while longer before another call of the same attempt; False if it is no longer ours."""
        now = now or datetime.now(UTC)
        with self._db.session() as session:
            return bool(
                rows_changed(
                    session.execute(
                        update(ChannelPace)
                        .where(ChannelPace.channel == channel, ChannelPace.held_by == self._owner)
                        .values(next_at=now + HOLD)
                    )
                )
            )

    def release(self, channel: str, pause: timedelta | None = None, now: datetime | None = None) -> None:
        """The call ended: the channel opens again after `pause` (the interval, or a 429's Retry-After)."""
        now = now or datetime.now(UTC)
        wait = max(pause if pause is not None else self.interval, timedelta(0))
        with self._db.session() as session:
            session.execute(
                update(ChannelPace)
                .where(ChannelPace.channel == channel, ChannelPace.held_by == self._owner)
                .values(next_at=now + wait, held_by=None)
            )

    def give_back(self, channel: str) -> None:
        """Nothing was sent after all: open the channel again at once."""
        with self._db.session() as session:
            session.execute(
                update(ChannelPace)
                .where(ChannelPace.channel == channel, ChannelPace.held_by == self._owner)
                .values(next_at=datetime.now(UTC), held_by=None)
            )
