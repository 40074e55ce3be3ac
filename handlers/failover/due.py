"""The scheduled sweep: escalate what nobody acknowledged, end silences, free claims a dead replica left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.deps import Deps
from bot.policy import People
from handlers.failover.intake import alert_route
from handlers.failover.store import AlertStore, silence_target

ACTOR = "opsbot-escalation"


def mention(people: People) -> str:
    """Slack mentions of the on-call users and groups."""
    parts = [f"<!subteam^{group}>" for group in people.usergroups] + [f"<@{user}>" for user in people.users]
    return " ".join(parts) or "on-call (the policy names nobody: set clusters.oncall)"


def run_due(deps: Deps, store: AlertStore, now: datetime | None = None) -> dict[str, int]:
    """One sweep; idempotent, so a rerun or a second replica changes nothing twice."""
    now = now or datetime.now(UTC)
    minutes = deps.access.policy.clusters.escalation_minutes
    released = store.release_stale_claims(now)
    expired = store.expire_silences(now, timedelta(minutes=minutes))
    silences = store.silences(now)
    escalated = 0
    for alert in store.due_escalations(now):
        if silence_target(alert) in silences or not store.mark_escalated(alert.id, now):
            continue
        route = alert_route(deps, alert)
        store.note(alert, f":rotating_light: {mention(route.oncall)}: not acknowledged after {minutes} min.", now)
        deps.audit.record(
            actor=ACTOR, action="failover.escalate", target=str(alert.id), result="ok", detail={"key": alert.key}
        )
        escalated += 1
    return {"escalated": escalated, "silences_expired": len(expired), "claims_released": released}
