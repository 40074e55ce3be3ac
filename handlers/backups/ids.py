"""Action ids of /backup, and the typed state its buttons carry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

APPLY_PLAN = "backups.apply_plan"
CANCEL = "backups.cancel"
PLAN_ID = r"^plan-[a-f0-9]{10}$"


class PlanRef(BaseModel):
    """Which restore plan the confirm button applies."""

    model_config = ConfigDict(frozen=True)

    plan: str = Field(pattern=PLAN_ID)
