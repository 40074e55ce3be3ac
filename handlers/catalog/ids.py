"""Action and callback ids of /catalog, and the typed state its buttons and modal carry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot import paging

SHOW = "catalog.show"
REQUEST = "catalog.request"
PAGES = paging.PageButtons(next="catalog.next_page", previous="catalog.previous_page")
REQUEST_MODAL = "catalog.request_modal"

PROJECT_BLOCK, PROJECT_ACTION = "catalog_project", "project"
REASON_BLOCK, REASON_ACTION = "catalog_reason", "reason"

# Where the furthest page a button can name starts (search reads far fewer listings than this).
MAX_OFFSET = paging.MAX_PAGE * 50
# DataZone ids: `[a-zA-Z0-9_-]{1,36}`.
ID = r"^[a-zA-Z0-9_-]{1,36}$"


class ListingRef(BaseModel):
    """The listing a Show or Request access button (or the request modal) is about."""

    model_config = ConfigDict(frozen=True)

    listing_id: str = Field(pattern=ID)
    name: str = Field("", max_length=256)


class SearchState(BaseModel):
    """A page of search results: the search as typed, and where the page starts."""

    model_config = ConfigDict(frozen=True)

    text: str = Field("", max_length=200)
    term: str | None = Field(None, max_length=64)
    classification: str | None = Field(None, max_length=64)
    project: str | None = Field(None, max_length=64)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
