"""EMR's own events about a cluster: cluster, instance fleet and instance group state changes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import Field

from bot.inbox.envelope import InboundEvent
from handlers.failover.signals import CLUSTER_ID, AlertSignal, Health, Loose, Severity

EMR_CLUSTER = "EMR Cluster State Change"
EMR_FLEET = "EMR Instance Fleet State Change"
EMR_GROUP = "EMR Instance Group State Change"


class _EmrDetail(Loose):
    clusterId: str = Field(pattern=CLUSTER_ID.pattern)
    state: str = Field(min_length=1, max_length=64)


class _FleetDetail(_EmrDetail):
    instanceFleetId: str = Field(min_length=1, max_length=64)
    instanceFleetType: str = Field("", max_length=16)
    provisionedOnDemandCapacity: int | None = Field(None, ge=0, le=10_000)
    targetOnDemandCapacity: int | None = Field(None, ge=0, le=10_000)


class _GroupDetail(_EmrDetail):
    instanceGroupId: str = Field(min_length=1, max_length=64)
    instanceGroupType: str = Field("", max_length=16)
    runningInstanceCount: int | None = Field(None, ge=0, le=10_000)
    requestedInstanceCount: int | None = Field(None, ge=0, le=10_000)


class _ClusterDetail(_EmrDetail):
    name: str | None = Field(None, max_length=256)
    stateChangeReason: str | None = None


def _capacity_health(state: str, running: int | None, requested: int | None) -> tuple[Health, Severity]:
    if running is not None and requested:
        if running < requested:
            return "bad", "quorum_lost" if running * 2 < requested else "primary_lost"
        return ("good", "other") if state == "RUNNING" else ("neutral", "other")
    # Without counts the state says it: a primary fleet resizes only to replace a primary.
    if state in ("RESIZING", "SUSPENDED"):
        return "bad", "primary_lost"
    return ("good", "other") if state == "RUNNING" else ("neutral", "other")


def emr_signal(event: InboundEvent, now: datetime) -> AlertSignal:
    """EMR's cluster, instance fleet and instance group state changes."""
    detail = event.detail
    if event.detail_type == EMR_FLEET:
        fleet = _FleetDetail.model_validate(detail)
        primary = fleet.instanceFleetType.upper() == "MASTER"
        running, requested = fleet.provisionedOnDemandCapacity, fleet.targetOnDemandCapacity
        health, severity = (
            _capacity_health(fleet.state.upper(), running, requested) if primary else ("neutral", "other")
        )
        reporter, what = f"emr:fleet:{fleet.instanceFleetId}", f"{fleet.instanceFleetType or 'instance'} fleet"
    elif event.detail_type == EMR_GROUP:
        group = _GroupDetail.model_validate(detail)
        primary = group.instanceGroupType.upper() == "MASTER"
        running, requested = group.runningInstanceCount, group.requestedInstanceCount
        health, severity = (
            _capacity_health(group.state.upper(), running, requested) if primary else ("neutral", "other")
        )
        reporter, what = f"emr:group:{group.instanceGroupId}", f"{group.instanceGroupType or 'instance'} group"
    else:
        cluster = _ClusterDetail.model_validate(detail)
        state = cluster.state.upper()
        health = {"TERMINATED_WITH_ERRORS": "bad", "TERMINATED": "ended", "WAITING": "good", "RUNNING": "good"}.get(
            state, "neutral"
        )
        severity = "cluster_down" if health == "bad" else "other"
        running = requested = None
        reporter, what = "emr:cluster", "cluster"
    state = str(detail["state"]).upper()
    return AlertSignal(
        kind="emr",
        form=event.via,
        reporter=reporter,
        cluster_id=detail["clusterId"],
        state=state,
        health=health,  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        # EMR's detail carries no time of its own; the inbox handles each event id once.
        changed_at=now,
        title=f"EMR {what} {state}"[:300],
        reason=_emr_reason(detail),
        running=running,
        requested=requested,
        account=event.account,
        region=event.region,
    )


def _emr_reason(detail: dict[str, Any]) -> str:
    # The structured reason only: EMR's free-text `message` changes wording without notice.
    raw = detail.get("stateChangeReason")
    try:
        reason = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return ""
    if isinstance(reason, dict) and isinstance(reason.get("code"), str):
        return reason["code"][:200]
    return ""
