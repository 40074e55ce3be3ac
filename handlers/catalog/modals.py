"""The Request access modal: checked while open, then the request made in DataZone."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.errors import BadInput, NotAllowed
from bot.outbox.message import dm
from bot.registry import Interaction
from handlers.catalog import ids
from handlers.catalog.commands import requested
from handlers.catalog.ports import Ports
from handlers.catalog.requesters import projects_for


def _values(body: dict[str, Any]) -> dict[str, Any]:
    return ((body.get("view") or {}).get("state") or {}).get("values") or {}


def _reason(body: dict[str, Any]) -> str:
    value = _values(body).get(ids.REASON_BLOCK, {}).get(ids.REASON_ACTION, {}).get("value")
    return (value or "").strip() if isinstance(value, str) else ""


def _project(body: dict[str, Any]) -> str:
    selected = _values(body).get(ids.PROJECT_BLOCK, {}).get(ids.PROJECT_ACTION, {}).get("selected_option")
    value = (selected or {}).get("value") if isinstance(selected, dict) else None
    return value if isinstance(value, str) else ""


def check(body: dict[str, Any]) -> dict[str, str] | None:
    """Keep the modal open until a project is chosen and the reason says something."""
    errors = {}
    if not _project(body):
        errors[ids.PROJECT_BLOCK] = "Choose the project the data is for."
    if len(_reason(body)) < 3:
        errors[ids.REASON_BLOCK] = "Say why you need it, so its owners can decide."
    return errors or None


def submit(ports: Ports, interaction: Interaction) -> None:
    """Make the request as the modal says, for a project DataZone still lists the caller in."""
    try:
        ref = ids.ListingRef.model_validate_json(str((interaction.body.get("view") or {}).get("private_metadata")))
    except ValidationError:
        raise BadInput("That form is from an older opsbot; click Request access again.") from None
    user = interaction.user_id
    domain = ports.domain()
    listing = ports.service.by_listing_id(domain, ref.listing_id)
    chosen = _project(interaction.body)
    project = next((p for p in projects_for(ports, user, listing, "catalog.request") if p.id == chosen), None)
    if project is None:
        ports.audit.record(
            actor=user,
            action="catalog.request",
            target=listing.listing_id,
            result="denied",
            detail={"reason": "not a member of the chosen project"},
        )
        raise NotAllowed("You are no longer an owner or contributor of that project in DataZone.")
    request_id = ports.service.request(domain, listing, project, _reason(interaction.body), user)
    ports.audit.record(
        actor=user,
        action="catalog.request",
        target=listing.listing_id,
        result="ok",
        detail={"request": request_id, "project": project.id},
    )
    # A modal has no response_url: the answer is a DM, through the outbox.
    ports.messages.send(dm(user, requested(request_id, listing.name, project.name)))
