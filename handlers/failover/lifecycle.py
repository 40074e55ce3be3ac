"""Applying a signal to the alert it belongs to: open, repeat, reopen when flapping, resolve; duplicates dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database, utc
from bot.wording import age, times
from handlers.failover.models import ACKNOWLEDGED, OPEN, RESOLVED, Alert, ClusterEvent
from handlers.failover.signals import AlertSignal

Outcome = Literal["created", "reopened", "updated", "resolved", "duplicate", "stale", "ignored"]
_WORST = ("quorum_lost", "cluster_down", "primary_lost", "other")
# Past this many reopenings the thread stops hearing about each one; the card still counts them.
QUIET_AFTER_FLAPS = 3


@dataclass(frozen=True)
class Placement:
    """Where a new alert's card goes and what the cluster looked like when it opened."""

    channel: str | None
    cluster_name: str | None = None
    primaries: list[dict[str, Any]] | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Applied:
    """What a signal did, and to which alert."""

    outcome: Outcome
    alert_id: int | None = None
    channel: str | None = None
    """The alert's channel when its card needs sending, else None."""


def _facts(signal: AlertSignal, facts: dict[str, Any]) -> dict[str, Any]:
    out = dict(facts)
    if signal.kind == "alarm":
        out["alarm"] = signal.model_dump(
            mode="json",
            include={
                "alarm_name",
                "metric",
                "state",
                "value",
                "threshold",
                "comparison",
                "reason",
                "region",
                "account",
            },
        )
    else:
        out["emr"] = signal.model_dump(mode="json", include={"reporter", "state", "running", "requested", "reason"})
    return out


def _worst(reporters: dict[str, Any]) -> str | None:
    bad = [r.get("severity", "other") for r in reporters.values() if r.get("health") == "bad"]
    return min(bad, key=_WORST.index) if bad else None


def _reporters_after(signal: AlertSignal, reporters: dict[str, Any]) -> dict[str, Any]:
    out = {name: dict(entry) for name, entry in reporters.items()}
    if signal.health in ("good", "ended"):
        # EMR events are points in time, never followed by an "all clear" of their own: any recovery clears them.
        for entry in out.values():
            if entry.get("kind") == "emr":
                entry["health"] = "good"
    out[signal.reporter] = {
        "kind": signal.kind,
        "state": signal.state,
        "health": signal.health,
        "severity": signal.severity,
        "at": signal.changed_at.isoformat(),
    }
    return out


def summary(signal: AlertSignal) -> str:
    """One line for the event log and the thread."""
    if signal.kind == "alarm":
        reading = (
            f" ({signal.value:g} vs threshold {signal.threshold:g})"
            if signal.value is not None and (signal.threshold is not None)
            else ""
        )
        return f"Alarm {signal.alarm_name} is {signal.state}{reading}"[:500]
    counts = f" ({signal.running} of {signal.requested} running)" if signal.requested else ""
    return f"{signal.title}{counts}"[:500]


class Lifecycle:
    """The one place alerts change state in response to signals; safe across threads and replicas."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def needs_placement(self, signal: AlertSignal) -> bool:
        """True when this signal would open (or reopen) an alert, which needs routing and a first look."""
        if signal.health != "bad":
            return False
        with self._db.session() as session:
            return session.scalar(select(Alert.id).where(Alert.active_key == signal.key)) is None

    def apply(
        self,
        signal: AlertSignal,
        placement: Placement | None,
        *,
        now: datetime,
        flap_minutes: int,
        escalation_minutes: int,
        payload: dict[str, Any] | None = None,
    ) -> Applied:
        """Apply `signal`; retried on a concurrent change so that no signal is lost."""
        for _ in range(8):
            applied = self._try(signal, placement, now, flap_minutes, escalation_minutes, payload)
            if applied is not None:
                return applied
        raise RuntimeError(f"alert {signal.key} kept changing under us")

    def _try(
        self,
        signal: AlertSignal,
        placement: Placement | None,
        now: datetime,
        flap_minutes: int,
        escalation_minutes: int,
        payload: dict[str, Any] | None,
    ) -> Applied | None:
        with self._db.session() as session:
            alert = session.scalar(select(Alert).where(Alert.active_key == signal.key))
            if alert is None:
                if signal.health != "bad":
                    self._log(session, None, signal, now, payload, note=False)
                    return Applied("ignored")
                recent = session.scalar(
                    select(Alert)
                    .where(Alert.key == signal.key, Alert.resolved_at >= now - timedelta(minutes=flap_minutes))
                    .order_by(Alert.resolved_at.desc())
                    .limit(1)
                )
                if recent is not None:
                    previous = recent.reporters.get(signal.reporter)
                    if previous is not None and datetime.fromisoformat(previous["at"]) >= signal.changed_at:
                        # Older than what resolved it (queues reorder): history, not a new firing.
                        self._log(session, recent.id, signal, now, payload, note=False)
                        return Applied("stale", recent.id)
                    return self._reopen(session, recent, signal, now, escalation_minutes, payload)
            else:
                return self._update(session, alert, signal, placement, now, payload)
        # Outside the reading transaction: the unique active key decides a race between replicas.
        return self._create(signal, placement, now, escalation_minutes, payload)

    def _update(
        self,
        session: Any,
        alert: Alert,
        signal: AlertSignal,
        placement: Placement | None,
        now: datetime,
        payload: dict[str, Any] | None,
    ) -> Applied | None:
        previous = alert.reporters.get(signal.reporter)
        if previous is not None:
            seen_at = datetime.fromisoformat(previous["at"])
            if previous["state"] == signal.state and seen_at == signal.changed_at:
                return Applied("duplicate", alert.id)  # the SNS and EventBridge forms of one transition
            if seen_at > signal.changed_at:
                self._log(session, alert.id, signal, now, payload, note=False)
                return Applied("stale", alert.id)
        reporters = _reporters_after(signal, alert.reporters)
        values: dict[str, Any] = {
            "reporters": reporters,
            "facts": _facts(signal, alert.facts) if signal.health != "neutral" else alert.facts,
            "updated_at": now,
            "version": alert.version + 1,
        }
        worst = _worst(reporters)
        if signal.health == "ended" or worst is None:
            outcome: Outcome = "resolved"
            values |= {"state": RESOLVED, "active_key": None, "resolved_at": now, "escalate_at": None}
        else:
            outcome = "updated"
            values["severity"] = worst
            if previous is not None and previous["state"] == signal.state:
                values["repeats"] = alert.repeats + 1
        if signal.kind == "emr" and placement is not None and placement.primaries is not None:
            values["primaries"] = placement.primaries
        changed = session.execute(
            update(Alert).where(Alert.id == alert.id, Alert.version == alert.version).values(**values)
        ).rowcount
        if not changed:
            return None
        # A repeat shows on the card alone; a resolution gets its own line below.
        news = outcome == "updated" and "repeats" not in values
        self._log(session, alert.id, signal, now, payload, note=news)
        if outcome == "resolved":
            lasted = now - utc(alert.opened_at)  # type: ignore[operator]
            self._note(session, alert, now, f":white_check_mark: Resolved after {age(lasted)}.")
        return Applied(outcome, alert.id, alert.channel)

    def _create(
        self,
        signal: AlertSignal,
        placement: Placement | None,
        now: datetime,
        escalation_minutes: int,
        payload: dict[str, Any] | None,
    ) -> Applied | None:
        place = placement or Placement(channel=None)
        alert = Alert(
            key=signal.key,
            active_key=signal.key,
            cluster_id=signal.cluster_id,
            cluster_name=place.cluster_name,
            title=signal.title,
            state=OPEN,
            severity=signal.severity,
            reporters=_reporters_after(signal, {}),
            # The tags route the alert later too (the runbook, who may acknowledge, whom to page).
            facts={**_facts(signal, {}), "tags": place.tags},
            primaries=place.primaries,
            opened_at=now,
            updated_at=now,
            escalate_at=now + timedelta(minutes=escalation_minutes),
            repeats=0,
            flaps=0,
            channel=place.channel,
            digest=False,
            chart="pending" if signal.cluster_id else "none",
            version=1,
            rendered_version=0,
        )
        try:
            with self._db.session() as session:
                session.add(alert)
                session.flush()
                self._log(session, alert.id, signal, now, payload, note=False)
        except IntegrityError:
            return None  # another replica opened it first: apply to theirs
        return Applied("created", alert.id, place.channel)

    def _reopen(
        self, session: Any, alert: Alert, signal: AlertSignal, now: datetime, escalation_minutes: int, payload: Any
    ) -> Applied | None:
        flaps, resolved_at = alert.flaps + 1, utc(alert.resolved_at)
        changed = session.execute(
            update(Alert)
            .where(Alert.id == alert.id, Alert.version == alert.version, Alert.active_key.is_(None))
            .values(
                active_key=alert.key,
                state=OPEN,
                severity=signal.severity,
                reporters=_reporters_after(signal, alert.reporters),
                facts=_facts(signal, alert.facts),
                resolved_at=None,
                acknowledged_by=None,
                acknowledged_at=None,
                escalate_at=now + timedelta(minutes=escalation_minutes),
                escalated_at=None,
                flaps=flaps,
                updated_at=now,
                version=alert.version + 1,
            )
        ).rowcount
        if not changed:
            return None
        self._log(session, alert.id, signal, now, payload, note=False)
        if flaps <= QUIET_AFTER_FLAPS:
            quiet = age(now - resolved_at)  # type: ignore[operator]
            text = f":repeat: Fired again {quiet} after resolving (flapping: reopened {times(flaps)})."
            self._note(session, alert, now, text)
        return Applied("reopened", alert.id, alert.channel)

    @staticmethod
    def _log(
        session: Any, alert_id: int | None, signal: AlertSignal, now: datetime, payload: Any, *, note: bool
    ) -> None:
        session.add(
            ClusterEvent(
                at=now,
                alert_id=alert_id,
                cluster_id=signal.cluster_id,
                reporter=signal.reporter,
                summary=summary(signal),
                payload=payload,
                note=note,
            )
        )

    @staticmethod
    def _note(session: Any, alert: Alert, now: datetime, text: str) -> None:
        session.add(
            ClusterEvent(
                at=now, alert_id=alert.id, cluster_id=alert.cluster_id, reporter="opsbot", summary=text, note=True
            )
        )


__all__ = ["ACKNOWLEDGED", "OPEN", "RESOLVED", "Applied", "Lifecycle", "Placement", "summary"]
