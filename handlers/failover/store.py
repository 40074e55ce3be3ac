"""Reads and atomic writes of alerts outside signal intake: acknowledgement, silences, escalation, card bookkeeping."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from bot.blockkit import IMAGE_ALT_TEXT, truncate
from bot.db import Database, utc
from handlers.failover.models import ACKNOWLEDGED, OPEN, POSTING, RESOLVED, Alert, ClusterEvent, Silence

# A card claim older than this belonged to a replica that died mid-post; another may take it.
STALE_CLAIM = timedelta(minutes=2)


def silence_target(alert: Alert) -> str:
    """What a silence mutes for this alert: its cluster, else its own key."""
    return alert.cluster_id or alert.key


class AlertStore:
    """Every alert change besides signals is one conditional UPDATE: two clicks or two replicas cannot both win."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reads --------------------------------------------------------------------------------------

    def get(self, alert_id: int) -> Alert | None:
        """One alert."""
        with self._db.session() as session:
            return session.get(Alert, alert_id)

    def active(self, cluster_id: str | None = None) -> list[Alert]:
        """Every open and acknowledged alert, newest first; for one cluster if given. Uncapped: a silence notes each
        of a cluster's alerts and the recovery check looks at each, however many a storm opened (one row each)."""
        query = select(Alert).where(Alert.active_key.is_not(None)).order_by(Alert.opened_at.desc())
        if cluster_id is not None:
            query = query.where(Alert.cluster_id == cluster_id)
        with self._db.session() as session:
            return list(session.scalars(query))

    def count_active(self) -> int:
        """How many alerts are open or acknowledged."""
        query = select(func.count()).select_from(Alert).where(Alert.active_key.is_not(None))
        with self._db.session() as session:
            return session.scalar(query) or 0

    def active_page(self, offset: int, limit: int) -> list[Alert]:
        """`limit` open and acknowledged alerts from `offset`, newest first.

        The id breaks ties of opened_at (a burst opens many in one second), so pages neither repeat nor skip.
        """
        query = (
            select(Alert)
            .where(Alert.active_key.is_not(None))
            .order_by(Alert.opened_at.desc(), Alert.id.desc())
            .offset(offset)
            .limit(limit)
        )
        with self._db.session() as session:
            return list(session.scalars(query))

    def events(self, cluster_id: str, limit: int = 8) -> list[ClusterEvent]:
        """A cluster's recent events, newest first."""
        query = select(ClusterEvent).where(ClusterEvent.cluster_id == cluster_id)
        with self._db.session() as session:
            return list(session.scalars(query.order_by(ClusterEvent.id.desc()).limit(limit)))

    def note(self, alert: Alert, text: str, now: datetime, *, bump: bool = True) -> None:
        """A line for the alert's thread, and (by default) a re-render of its card."""
        with self._db.session() as session:
            session.add(
                ClusterEvent(
                    at=now, alert_id=alert.id, cluster_id=alert.cluster_id, reporter="opsbot", summary=text, note=True
                )
            )
            if bump:
                session.execute(update(Alert).where(Alert.id == alert.id).values(version=Alert.version + 1))

    def keep_unknown(self, reason: str, payload: dict[str, object], now: datetime) -> None:
        """An event we could not read, kept whole so its shape can be studied."""
        with self._db.session() as session:
            session.add(ClusterEvent(at=now, reporter="unknown", summary=reason[:500], payload=payload, note=False))

    # -- acknowledgement ----------------------------------------------------------------------------

    def acknowledge(self, alert_id: int, user_id: str, now: datetime) -> bool:
        """True if this user acknowledged it now; False if it was acknowledged or resolved already."""
        with self._db.session() as session:
            won = session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.state == OPEN)
                .values(
                    state=ACKNOWLEDGED,
                    acknowledged_by=user_id,
                    acknowledged_at=now,
                    updated_at=now,
                    version=Alert.version + 1,
                )
            ).rowcount
        return bool(won)

    # -- silences -----------------------------------------------------------------------------------

    def silence(self, target: str, until: datetime, user_id: str, now: datetime) -> None:
        """Mute `target` until `until` (replacing any silence on it) and re-render its cards."""
        with self._db.session() as session:
            session.execute(delete(Silence).where(Silence.target == target))
            session.add(Silence(target=target, until=until, by=user_id, created_at=now))
            self._bump_target(session, target)

    def unsilence(self, target: str) -> bool:
        """End a silence now; True if there was one."""
        with self._db.session() as session:
            gone = session.execute(delete(Silence).where(Silence.target == target)).rowcount
            self._bump_target(session, target)
        return bool(gone)

    @staticmethod
    def _bump_target(session: object, target: str) -> None:
        session.execute(  # type: ignore[attr-defined]
            update(Alert)
            .where(Alert.active_key.is_not(None), or_(Alert.cluster_id == target, Alert.key == target))
            .values(version=Alert.version + 1)
        )

    def silenced_until(self, target: str, now: datetime) -> datetime | None:
        """When the silence on `target` ends, if one is in force."""
        with self._db.session() as session:
            until = session.scalar(select(Silence.until).where(Silence.target == target, Silence.until > now))
        return utc(until)

    def silences(self, now: datetime) -> dict[str, datetime]:
        """Every silence in force: target to end."""
        with self._db.session() as session:
            rows = session.execute(select(Silence.target, Silence.until).where(Silence.until > now)).all()
        return {target: utc(until) for target, until in rows}  # type: ignore[misc]

    def expire_silences(self, now: datetime, escalation: timedelta) -> list[str]:
        """Remove ended silences; unacknowledged alerts they hid escalate a full period later. Returns the targets."""
        with self._db.session() as session:
            targets = list(session.scalars(select(Silence.target).where(Silence.until <= now)))
            for target in targets:
                gone = session.execute(delete(Silence).where(Silence.target == target, Silence.until <= now)).rowcount
                if not gone:
                    continue  # another replica expired it in between
                session.execute(
                    update(Alert)
                    .where(Alert.active_key.is_not(None), or_(Alert.cluster_id == target, Alert.key == target))
                    .values(version=Alert.version + 1)
                )
                session.execute(
                    update(Alert)
                    .where(
                        Alert.state == OPEN,
                        Alert.escalated_at.is_(None),
                        or_(Alert.cluster_id == target, Alert.key == target),
                    )
                    .values(escalate_at=now + escalation)
                )
        return targets

    # -- escalation ---------------------------------------------------------------------------------

    def due_escalations(self, now: datetime) -> list[Alert]:
        """Open, unacknowledged alerts whose time to escalate has come."""
        query = select(Alert).where(Alert.state == OPEN, Alert.escalated_at.is_(None), Alert.escalate_at <= now)
        with self._db.session() as session:
            return list(session.scalars(query))

    def mark_escalated(self, alert_id: int, now: datetime) -> bool:
        """True for the one caller that escalates this alert; any other (a rerun, another replica) gets False."""
        with self._db.session() as session:
            won = session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.state == OPEN, Alert.escalated_at.is_(None))
                .values(escalated_at=now, version=Alert.version + 1)
            ).rowcount
        return bool(won)

    # -- card bookkeeping (the outbox) --------------------------------------------------------------

    def channels_with_work(self) -> list[str]:
        """Channels where a card waits to be posted or re-rendered, or a thread line to be posted."""
        with self._db.session() as session:
            cards = select(Alert.channel).where(
                Alert.channel.is_not(None),
                or_(Alert.card_ts.is_(None), Alert.version > Alert.rendered_version, Alert.chart == "pending"),
            )
            notes = (
                select(Alert.channel)
                .join(ClusterEvent, ClusterEvent.alert_id == Alert.id)
                .where(ClusterEvent.note.is_(True), ClusterEvent.posted_at.is_(None), Alert.channel.is_not(None))
            )
            return sorted({c for c in session.scalars(cards.union(notes))})

    def uncarded(self, channel: str, limit: int) -> list[Alert]:
        """Alerts in `channel` without a card, oldest first."""
        query = (
            select(Alert)
            .where(Alert.channel == channel, Alert.card_ts.is_(None))
            .order_by(Alert.opened_at)
            .limit(limit)
        )
        with self._db.session() as session:
            return list(session.scalars(query))

    def stale(self, channel: str) -> Alert | None:
        """The carded alert in `channel` whose card lags furthest behind."""
        query = (
            select(Alert)
            .where(
                Alert.channel == channel,
                Alert.card_ts.is_not(None),
                Alert.card_ts != POSTING,
                Alert.version > Alert.rendered_version,
            )
            .order_by(Alert.updated_at)
            .limit(1)
        )
        with self._db.session() as session:
            return session.scalar(query)

    def sharing_card(self, channel: str, ts: str) -> list[Alert]:
        """Every alert shown on one message (a digest shows several)."""
        query = select(Alert).where(Alert.channel == channel, Alert.card_ts == ts).order_by(Alert.opened_at)
        with self._db.session() as session:
            return list(session.scalars(query))

    def claim_cards(self, alert_ids: list[int], now: datetime) -> list[int]:
        """Claim the right to post these alerts' card; returns the ids won."""
        won = []
        with self._db.session() as session:
            for alert_id in alert_ids:
                if session.execute(
                    update(Alert)
                    .where(Alert.id == alert_id, Alert.card_ts.is_(None))
                    .values(card_ts=POSTING, card_claimed_at=now)
                ).rowcount:
                    won.append(alert_id)
        return won

    def carded(self, alert_ids: list[int], ts: str, *, digest: bool, versions: dict[int, int]) -> None:
        """The card (or digest) for these alerts is posted at `ts`, showing `versions`."""
        with self._db.session() as session:
            for alert_id in alert_ids:
                values = {"card_ts": ts, "digest": digest, "rendered_version": versions.get(alert_id, 0)}
                if digest:
                    values["chart"] = "none"  # a digest line has no thread of its own
                session.execute(update(Alert).where(Alert.id == alert_id).values(**values))
            if digest:
                # Lines for a digest's alerts would flood its thread; the digest itself shows their state.
                session.execute(
                    update(ClusterEvent)
                    .where(ClusterEvent.alert_id.in_(alert_ids), ClusterEvent.posted_at.is_(None))
                    .values(posted_at=func.now())
                )

    def release_cards(self, alert_ids: list[int]) -> None:
        """Posting failed: let the next round try again."""
        with self._db.session() as session:
            session.execute(
                update(Alert)
                .where(Alert.id.in_(alert_ids), Alert.card_ts == POSTING)
                .values(card_ts=None, card_claimed_at=None)
            )

    def release_stale_claims(self, now: datetime) -> int:
        """Claims left by a replica that died mid-post go back to the pool."""
        with self._db.session() as session:
            return session.execute(
                update(Alert)
                .where(Alert.card_ts == POSTING, Alert.card_claimed_at < now - STALE_CLAIM)
                .values(card_ts=None, card_claimed_at=None)
            ).rowcount

    def rendered(self, alert_id: int, version: int) -> None:
        """The card shows `version` (a newer one may have arrived meanwhile and stays pending)."""
        with self._db.session() as session:
            session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.rendered_version < version)
                .values(rendered_version=version)
            )

    def chart_done(self, alert_id: int, outcome: str, expected: str = "pending") -> bool:
        """Move the chart from `expected` to `outcome` (posted, none, back to pending); True for the one who did."""
        with self._db.session() as session:
            return bool(
                session.execute(
                    update(Alert).where(Alert.id == alert_id, Alert.chart == expected).values(chart=outcome)
                ).rowcount
            )

    def chart_uploaded(self, alert_id: int, file_id: str, alt_text: str) -> None:
        """The chart is in the card's thread as `file_id`: show it in the card too (a re-render, as any change)."""
        with self._db.session() as session:
            session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.chart == "posted")
                .values(
                    chart_file=file_id,
                    chart_alt=truncate(alt_text, IMAGE_ALT_TEXT),
                    chart_refusals=0,
                    version=Alert.version + 1,
                )
            )

    def chart_refused(self, alert_id: int) -> int:
        """Slack refused the card showing the chart once more; how many times it has now."""
        with self._db.session() as session:
            session.execute(update(Alert).where(Alert.id == alert_id).values(chart_refusals=Alert.chart_refusals + 1))
            return int(session.scalar(select(Alert.chart_refusals).where(Alert.id == alert_id)) or 0)

    def chart_due(self, channel: str) -> Alert | None:
        """A carded alert in `channel` whose chart is still to post."""
        query = select(Alert).where(
            Alert.channel == channel,
            Alert.chart == "pending",
            Alert.card_ts.is_not(None),
            Alert.card_ts != POSTING,
        )
        with self._db.session() as session:
            return session.scalar(query.limit(1))

    def next_note(self, channel: str) -> tuple[ClusterEvent, Alert] | None:
        """The oldest unposted thread line in `channel` whose card exists."""
        query = (
            select(ClusterEvent, Alert)
            .join(Alert, ClusterEvent.alert_id == Alert.id)
            .where(
                Alert.channel == channel,
                Alert.card_ts.is_not(None),
                Alert.card_ts != POSTING,
                ClusterEvent.note.is_(True),
                ClusterEvent.posted_at.is_(None),
            )
            .order_by(ClusterEvent.id)
            .limit(1)
        )
        with self._db.session() as session:
            row = session.execute(query).first()
        return (row[0], row[1]) if row else None

    def claim_note(self, event_id: int, now: datetime) -> bool:
        """True for the one caller that posts this line."""
        with self._db.session() as session:
            return bool(
                session.execute(
                    update(ClusterEvent)
                    .where(ClusterEvent.id == event_id, ClusterEvent.posted_at.is_(None))
                    .values(posted_at=now)
                ).rowcount
            )

    def release_note(self, event_id: int) -> None:
        """Posting the line failed: post it next round."""
        with self._db.session() as session:
            session.execute(update(ClusterEvent).where(ClusterEvent.id == event_id).values(posted_at=None))


__all__ = ["ACKNOWLEDGED", "OPEN", "RESOLVED", "AlertStore", "silence_target"]
