"""Event-driven, point-in-time backups: a DataZone event names an entity, whose current state is backed up."""

from __future__ import annotations

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.inbox.envelope import InboundEvent

log = structlog.get_logger(__name__)

# EventBridge detail types from DataZone and the kind of entity each touches. Payloads beyond
# detail.metadata are unverified, so only the id and domain are taken and the entity itself is fetched.
DETAIL_TYPES = {
    "Asset Added To Catalog": "ASSET",
    "Asset Added To Inventory": "ASSET",
    "Asset Schema Changed": "ASSET",
    "Asset Unpublished": "ASSET",
    "Asset Deleted": "ASSET",
    "Glossary Created": "GLOSSARY",
    "Glossary Updated": "GLOSSARY",
    "Glossary Deleted": "GLOSSARY",
    "Glossary Term Created": "TERM",
    "Glossary Term Updated": "TERM",
    "Glossary Term Deleted": "TERM",
    "Project Created": "PROJECT",
    "Project Updated": "PROJECT",
    "Subscription Created": "SUBSCRIPTION",
    "Subscription Revoked": "SUBSCRIPTION",
    "Subscription Cancelled": "SUBSCRIPTION",
}


class EntityRef(BaseModel):
    """The entity an event is about, validated before anything reaches AWS."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(pattern=r"^dzd[-_][a-zA-Z0-9_-]{1,36}$")
    id: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")


def entity_of(event: InboundEvent) -> tuple[str, EntityRef] | None:
    """(kind, ref) for an event this capability backs up; None (logged) for anything malformed."""
    kind = DETAIL_TYPES.get(event.detail_type)
    if kind is None:
        return None
    metadata = event.detail.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    try:
        return kind, EntityRef.model_validate({"domain": metadata.get("domain"), "id": metadata.get("id")})
    except ValidationError:
        log.warning("backup_event_unreadable", detail_type=event.detail_type, event_id=event.event_id)
        return None
