"""Action and callback ids of /subscriptions, and the typed state its buttons and modals carry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

APPROVE = "subscriptions.approve"
REJECT = "subscriptions.reject"
APPROVE_MODAL = "subscriptions.approve_modal"
REJECT_MODAL = "subscriptions.reject_modal"
RENEW = "subscriptions.renew"
EXTEND = "subscriptions.extend"
CONFIRM_REVOKE = "subscriptions.confirm_revoke"
CANCEL = "subscriptions.cancel"
DAYS_BLOCK, DAYS_ACTION = "days", "days_select"
COMMENT_BLOCK, COMMENT_ACTION = "comment", "comment_input"
REASON_BLOCK, REASON_ACTION = "reason", "reason_input"


class RequestRef(BaseModel):
    """Which request a button or modal is about, and the project whose approvers may decide it."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(pattern=r"^dzd[-_][a-zA-Z0-9_-]{1,36}$")
    request: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")
    owner: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")


class AccessRef(BaseModel):
    """Which subscription a renewal or revoke button is about, and the project whose approvers may act."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(pattern=r"^dzd[-_][a-zA-Z0-9_-]{1,36}$")
    subscription: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")
    owner: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")


class RevokeRef(AccessRef):
    """A confirmed revoke: the subscription and the reason the owner gave."""

    reason: str = Field("", max_length=1500)
