"""Action ids of /cluster's cards, and the typed state their buttons carry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.paging import PageButtons

ACKNOWLEDGE = "failover.acknowledge"
INSTANCES = "failover.instances"
RUNBOOK = "failover.runbook"
OPEN_CARD = "failover.open_card"
# The Silence buttons: label to action id; the duration is in the id, so the value stays one small model.
SILENCES = {"1h": "failover.silence_1h", "4h": "failover.silence_4h", "24h": "failover.silence_24h"}
SILENCE_HOURS = {action: int(label.removesuffix("h")) for label, action in SILENCES.items()}
# The page buttons of `/cluster alerts`.
ALERTS_PAGES = PageButtons(next="failover.alerts_next", previous="failover.alerts_previous")


class AlertRef(BaseModel):
    """Which alert a button is about."""

    model_config = ConfigDict(frozen=True)

    alert: int = Field(ge=1, le=2**62)


class AlertsPage(BaseModel):
    """Where a page of `/cluster alerts` starts; the list has no filters."""

    model_config = ConfigDict(frozen=True)

    offset: int = Field(ge=0, le=2**31)
