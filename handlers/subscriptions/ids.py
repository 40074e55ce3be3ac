"""Action and callback ids of /subscriptions, and the typed state its buttons and modals carry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.paging import PageButtons
from bot.policy import MAX_APPROVAL_STEPS

APPROVE = "subscriptions.approve"
REJECT = "subscriptions.reject"
APPROVE_MODAL = "subscriptions.approve_modal"
REJECT_MODAL = "subscriptions.reject_modal"
RENEW = "subscriptions.renew"
EXTEND = "subscriptions.extend"
CONFIRM_REVOKE = "subscriptions.confirm_revoke"
CANCEL = "subscriptions.cancel"
# A consumer gives access back: the Leave button of a line of `mine` asks first, then the confirm leaves.
LEAVE = "subscriptions.leave"
CONFIRM_LEAVE = "subscriptions.confirm_leave"
# An access review card: Keep or Revoke one subscription, or all still undecided on the card.
REVIEW_KEEP = "subscriptions.review_keep"
REVIEW_REVOKE = "subscriptions.review_revoke"
REVIEW_KEEP_ALL = "subscriptions.review_keep_all"
REVIEW_REVOKE_ALL = "subscriptions.review_revoke_all"
REVIEW_ACTIONS = (REVIEW_KEEP, REVIEW_REVOKE, REVIEW_KEEP_ALL, REVIEW_REVOKE_ALL)
DAYS_BLOCK, DAYS_ACTION = "days", "days_select"
COMMENT_BLOCK, COMMENT_ACTION = "comment", "comment_input"
REASON_BLOCK, REASON_ACTION = "reason", "reason_input"
SCOPE_BLOCK, SCOPE_ACTION = "scope", "scope_select"
PENDING_PAGES = PageButtons(next="subscriptions.pending_next", previous="subscriptions.pending_previous")
ACCESS_PAGES = PageButtons(next="subscriptions.access_next", previous="subscriptions.access_previous")
MINE_PAGES = PageButtons(next="subscriptions.mine_next", previous="subscriptions.mine_previous")


class RequestRef(BaseModel):
    """Which request a button or modal is about, and the project whose approvers may decide it."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(pattern=r"^dzd[-_][a-zA-Z0-9_-]{1,36}$")
    request: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")
    owner: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")
    # In an approval chain, the step the card showed waiting (0: the first): a decision made on a step someone
    # else has approved meanwhile loses, rather than landing on the next step. None: whichever step waits.
    step: int | None = Field(None, ge=0, le=MAX_APPROVAL_STEPS)


class AccessRef(BaseModel):
    """Which subscription a renewal or revoke button is about, and the project whose approvers may act."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(pattern=r"^dzd[-_][a-zA-Z0-9_-]{1,36}$")
    subscription: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")
    owner: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")


class RevokeRef(AccessRef):
    """A confirmed revoke: the subscription and the reason the owner gave."""

    reason: str = Field("", max_length=1500)


class ReviewRef(BaseModel):
    """A decision on an access review card: one subscription (a row's button) or every undecided one on the card
    (`listing` and `card`, the all buttons). The owner is what the declared rule checks; the listener checks again
    against the owner the bot stored for each item."""

    model_config = ConfigDict(frozen=True)

    campaign: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,32}$")
    owner: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")
    subscription: str | None = Field(None, pattern=r"^[a-zA-Z0-9_-]{1,36}$")
    listing: str | None = Field(None, pattern=r"^[a-zA-Z0-9_-]{1,36}$")
    card: int = Field(0, ge=0, le=10_000)


class LeaveRef(BaseModel):
    """Which subscription a consumer would leave; who may is read from DataZone's subscription, not the button."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(pattern=r"^dzd[-_][a-zA-Z0-9_-]{1,36}$")
    subscription: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")


class PendingPage(BaseModel):
    """Where a page of the pending queue starts; whose queue it is comes from who presses, never from the button."""

    model_config = ConfigDict(frozen=True)

    offset: int = Field(ge=0, le=2**31)


class MinePage(BaseModel):
    """Where a page of a consumer's requests and subscriptions starts; whose they are comes from who presses."""

    model_config = ConfigDict(frozen=True)

    offset: int = Field(ge=0, le=2**31)


class AccessPage(BaseModel):
    """A page of who has access to an asset: the asset as it was typed, and where the page starts."""

    model_config = ConfigDict(frozen=True)

    asset: str = Field(min_length=1, max_length=256)
    offset: int = Field(ge=0, le=2**31)
