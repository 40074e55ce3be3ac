"""Action ids of /publish, and the typed state its buttons carry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

CONFIRM = "publishing.confirm"
OVERRIDE = "publishing.override"
CANCEL = "publishing.cancel"
PREVIEW = "publishing.preview"

DOMAIN = r"^dzd[-_][a-zA-Z0-9_-]{1,36}$"
ID = r"^[a-zA-Z0-9_-]{1,36}$"


class AssetRef(BaseModel):
    """Which asset a Confirm button publishes (or unpublishes), and the project whose owners may press it."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(pattern=DOMAIN)
    asset: str = Field(pattern=ID)
    owner: str = Field(pattern=ID)
    publish: bool = True


class PreviewRef(BaseModel):
    """An asset a run created, whose preview a button opens."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(pattern=DOMAIN)
    asset: str = Field(pattern=ID)
