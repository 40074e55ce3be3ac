"""The scheduled sweep: escalate what nobody acknowledged, end silences, free claims a dead replica left, and
ask EMR itself about incidents only EMR's events opened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from bot.db import utc
from bot.errors import NotFound
from bot.policy import People
from handlers.failover.lifecycle import Placement
from handlers.failover.models import Alert
from handlers.failover.signals import AlertSignal, origin
from handlers.failover.store import silence_target
from handlers.failover.wiring import Failover

log = structlog.get_logger(__name__)

ACTOR = "opsbot-escalation"
# EMR's events carry no "all clear" of their own and may be dropped: after this long without news, an incident
# that only EMR events opened is checked against list_instances.
EMR_CHECK_AFTER = timedelta(minutes=10)
# An HA cluster runs three primaries.
PRIMARIES = 3


def mention(people: People) -> str:
    """Slack mentions of the on-call users and groups."""
    parts = [f"<!subteam^{group}>" for group in people.usergroups] + [f"<@{user}>" for user in people.users]
    return " ".join(parts) or "on-call (the policy names nobody: set clusters.oncall)"


def run_due(failover: Failover, now: datetime | None = None) -> dict[str, int]:
    """One sweep; idempotent, so a rerun or a second replica changes nothing twice."""
    now = now or datetime.now(UTC)
    store = failover.store
    minutes = failover.routes.policy.escalation_minutes
    released = store.release_stale_claims(now)
    expired = store.expire_silences(now, timedelta(minutes=minutes))
    silences = store.silences(now)
    escalated = 0
    for alert in store.due_escalations(now):
        if silence_target(alert) in silences or not store.mark_escalated(alert.id, now):
            continue
        route = failover.routes.for_alert(alert)
        store.note(alert, f":rotating_light: {mention(route.oncall)}: not acknowledged after {minutes} min.", now)
        failover.audit.record(
            actor=ACTOR, action="failover.escalate", target=str(alert.id), result="ok", detail={"key": alert.key}
        )
        escalated += 1
    recovered = sum(_recovered(failover, alert, now) for alert in store.active() if _emr_only(alert, now))
    return {
        "escalated": escalated,
        "silences_expired": len(expired),
        "claims_released": released,
        "recovered_by_check": recovered,
    }


def _emr_only(alert: Alert, now: datetime) -> bool:
    bad = [r for r in alert.reporters.values() if r.get("health") == "bad"]
    quiet = now - utc(alert.updated_at) >= EMR_CHECK_AFTER  # type: ignore[operator]
    return bool(alert.cluster_id and bad and quiet and all(r.get("kind") == "emr" for r in bad))


def _recovered(failover: Failover, alert: Alert, now: datetime) -> bool:
    """Resolve the alert if EMR lists every primary running again; True if it did."""
    reader = failover.reader
    try:
        primaries = reader.primaries(reader.describe(alert.cluster_id or ""))
    except (NotFound, ClientError, BotoCoreError) as exc:
        log.warning("failover_emr_check_failed", cluster=alert.cluster_id, error=str(exc))
        return False
    live = [p for p in primaries if p["state"] != "TERMINATED"]
    requested = (alert.facts.get("emr") or {}).get("requested") or PRIMARIES
    if len(live) < requested or any(p["state"] != "RUNNING" for p in live):
        return False
    account, region = origin(alert.key)  # the check must land on the same alert as EMR's events did
    signal = AlertSignal(
        kind="emr",
        form="raw",
        reporter="emr:check",
        cluster_id=alert.cluster_id,
        state="RUNNING",
        health="good",
        changed_at=now,
        title="EMR lists every primary running (checked by opsbot)",
        running=len(live),
        requested=requested,
        account=account,
        region=region,
    )
    policy = failover.routes.policy
    applied = failover.lifecycle.apply(
        signal,
        Placement(channel=alert.channel, primaries=primaries),
        now=now,
        flap_minutes=policy.flap_minutes,
        escalation_minutes=policy.escalation_minutes,
    )
    return applied.outcome == "resolved"
