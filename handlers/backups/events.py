"""Event-driven, point-in-time backups: a DataZone event or API call names an entity; its current state is saved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.inbox.datazone_events import CLOUDTRAIL_DETAIL_TYPE, CLOUDTRAIL_EVENT_SOURCE
from bot.inbox.envelope import InboundEvent

log = structlog.get_logger(__name__)

# DataZone's own EventBridge events (bot/inbox/datazone_events.py) and the kind of entity each touches.
# Only the subscription request event has a published detail; for these the entity id and domain are
# assumed to sit in detail.metadata as they do there, and the entity itself is fetched.
SERVICE_EVENTS = {
    "Asset Added To Inventory": "ASSET",
    "Asset Added To Catalog": "ASSET",
    "Asset Schema Changed": "ASSET",
    "Asset Unpublished": "ASSET",
    "Project Creation Succeeded": "PROJECT",
    "Subscription Created": "SUBSCRIPTION",
    "Subscription Revoked": "SUBSCRIPTION",
    "Subscription Cancelled": "SUBSCRIPTION",
}

Part = Literal["requestParameters", "responseElements"]
REQUEST: Part = "requestParameters"
RESPONSE: Part = "responseElements"


@dataclass(frozen=True)
class ApiCall:
    """Where CloudTrail's record of a DataZone API call names the entity the call changed."""

    kind: str
    part: Part
    member: str  # a member of the action's input (request) or output (response) shape in botocore's model


# Writes DataZone sends no service event for, seen through CloudTrail: glossaries, terms, form and asset
# types, asset revisions and deletes, project updates and deletes. Project membership goes this way too:
# the "Project Member ... Succeeded" events exist but their detail is unpublished, whereas CloudTrail's
# requestParameters are the API's documented input. A create names its entity in the response (its new
# id) or, for types, by the name in the request.
API_CALLS = {
    "CreateAssetRevision": ApiCall("ASSET", REQUEST, "identifier"),
    "DeleteAsset": ApiCall("ASSET", REQUEST, "identifier"),
    "CreateGlossary": ApiCall("GLOSSARY", RESPONSE, "id"),
    "UpdateGlossary": ApiCall("GLOSSARY", REQUEST, "identifier"),
    "DeleteGlossary": ApiCall("GLOSSARY", REQUEST, "identifier"),
    "CreateGlossaryTerm": ApiCall("TERM", RESPONSE, "id"),
    "UpdateGlossaryTerm": ApiCall("TERM", REQUEST, "identifier"),
    "DeleteGlossaryTerm": ApiCall("TERM", REQUEST, "identifier"),
    "CreateFormType": ApiCall("FORM_TYPE", REQUEST, "name"),
    "DeleteFormType": ApiCall("FORM_TYPE", REQUEST, "formTypeIdentifier"),
    "CreateAssetType": ApiCall("ASSET_TYPE", REQUEST, "name"),
    "DeleteAssetType": ApiCall("ASSET_TYPE", REQUEST, "identifier"),
    "UpdateProject": ApiCall("PROJECT", REQUEST, "identifier"),
    "DeleteProject": ApiCall("PROJECT", REQUEST, "identifier"),
    "CreateProjectMembership": ApiCall("PROJECT", REQUEST, "projectIdentifier"),
    "DeleteProjectMembership": ApiCall("PROJECT", REQUEST, "projectIdentifier"),
}

# Form and asset types are backed up by name, not by a generated id.
NAMED_KINDS = {"FORM_TYPE", "ASSET_TYPE"}


class EntityRef(BaseModel):
    """The entity an event is about, validated before anything reaches AWS."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(pattern=r"^dzd[-_][a-zA-Z0-9_-]{1,36}$")
    id: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,36}$")


class TypeRef(EntityRef):
    """A form or asset type, named as DataZone's TypeName and FormTypeName allow (up to 256 characters)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,256}$")


def _part(detail: dict[str, Any], part: str) -> dict[str, Any]:
    value = detail.get(part)
    return value if isinstance(value, dict) else {}


def _reference(kind: str, event: InboundEvent, domain: Any, ident: Any) -> tuple[str, EntityRef] | None:
    model = TypeRef if kind in NAMED_KINDS else EntityRef
    try:
        return kind, model.model_validate({"domain": domain, "id": ident})
    except ValidationError:
        # Loud, with the event's own words: a shape we misread shows up here, not as a silent gap.
        log.warning("backup_event_unreadable", detail_type=event.detail_type, event_id=event.event_id, kind=kind)
        return None


def _api_call_entity(event: InboundEvent) -> tuple[str, EntityRef] | None:
    detail = event.detail
    name = detail.get("eventName")
    call = API_CALLS.get(name) if isinstance(name, str) else None
    if call is None:
        return None
    if detail.get("eventSource") != CLOUDTRAIL_EVENT_SOURCE or detail.get("errorCode"):
        # Another service's call, or one DataZone refused: nothing in the catalog changed.
        log.info("backup_event_ignored", event_name=name, event_id=event.event_id, error=detail.get("errorCode"))
        return None
    domain = _part(detail, REQUEST).get("domainIdentifier")
    return _reference(call.kind, event, domain, _part(detail, call.part).get(call.member))


def entity_of(event: InboundEvent) -> tuple[str, EntityRef] | None:
    """(kind, ref) for an event this capability backs up; None (logged) for anything malformed."""
    if event.detail_type == CLOUDTRAIL_DETAIL_TYPE:
        return _api_call_entity(event)
    kind = SERVICE_EVENTS.get(event.detail_type)
    if kind is None:
        return None
    metadata = _part(event.detail, "metadata")
    return _reference(kind, event, metadata.get("domain"), metadata.get("id"))
