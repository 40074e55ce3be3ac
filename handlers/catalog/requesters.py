"""Who may ask for access from Slack, and for which of their projects: the rule, and the checks behind it.

The middleware rule sees only the Slack user (mapped by the policy's `people` or not); the projects come from
DataZone's memberships, so the check that the person may ask for this project runs again on DataZone's word.
"""

from __future__ import annotations

from typing import Any

from bot.authz import ALLOW, Access, Decision
from bot.errors import BadInput, NotAllowed
from handlers.catalog.blocks import plain
from handlers.catalog.consumers import Project
from handlers.catalog.listings import Listing
from handlers.catalog.ports import Ports


def not_mapped(user_id: str) -> str:
    """Why someone the policy does not know cannot ask, and how they get known."""
    return (
        "opsbot does not know who you are in DataZone, so it cannot ask for data for your projects. "
        f"Ask an opsbot admin to add your Slack user `{user_id}` to `people` in the policy file, with your "
        "DataZone identity (SSO user name or IAM ARN). Until then, ask in the DataZone portal."
    )


def mapped_consumer(access: Access, user_id: str, _body: dict[str, Any]) -> Decision:
    """People the policy maps to a DataZone identity may ask; which projects they may ask for is DataZone's word."""
    if user_id in access.policy.people:
        return ALLOW
    return Decision(False, not_mapped(user_id))


def projects_for(ports: Ports, user_id: str, listing: Listing, action: str) -> list[Project]:
    """The caller's projects that may ask for `listing` (not its own owner); NotAllowed (audited) when none."""
    if user_id not in ports.access.policy.people:
        ports.audit.record(
            actor=user_id, action=action, target=listing.listing_id, result="denied", detail={"reason": "not in people"}
        )
        raise NotAllowed(not_mapped(user_id))
    mine = ports.service.memberships().projects_of(ports.domain(), user_id)
    usable = [p for p in mine if p.id != listing.owner_project_id]
    if usable:
        return usable
    ports.audit.record(
        actor=user_id,
        action=action,
        target=listing.listing_id,
        result="denied",
        detail={"reason": "no consumer project"},
    )
    owns = " (its own project does not subscribe to it)" if mine else ""
    raise NotAllowed(
        f"You are not an owner or contributor of a DataZone project that could ask for {plain(listing.name)}{owns}, "
        "so opsbot cannot ask for you. A project's owner adds you to the project in DataZone; then try again."
    )


def pick(projects: list[Project], wanted: str | None, usage: str) -> Project:
    """The project `project=<name>` names (by name or id), or the only one; BadInput listing them otherwise."""
    names = ", ".join(f"`{p.name}`" for p in projects)
    if wanted is None:
        if len(projects) == 1:
            return projects[0]
        raise BadInput(f"You are in several projects; say which with `project=<name>`: {names}.\nUsage: `{usage}`")
    match = [p for p in projects if wanted.strip().lower() in (p.name.lower(), p.id.lower())]
    if match:
        return match[0]
    shown = wanted.replace("`", "'")[:64]
    raise BadInput(f"`{shown}` is not one of your projects that could ask for it: {names}.\nUsage: `{usage}`")
