"""A listing, or a page of them, as the caller sees it: names looked up, their own projects' standing added."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import paging
from handlers.catalog import blocks, ids
from handlers.catalog.arguments import SearchArgs
from handlers.catalog.listings import Listing
from handlers.catalog.ports import Ports

PAGE_SIZE = 10
NOUN = ("published asset", "published assets")


def owner_names(ports: Ports, listings: list[Listing]) -> dict[str, str]:
    """Owning project id -> name: the policy's name when it has one, else DataZone's (read once per project)."""
    names: dict[str, str] = {}
    for project_id in {listing.owner_project_id for listing in listings if listing.owner_project_id}:
        known = ports.access.policy.projects.get(project_id)
        names[project_id] = (known.name if known and known.name else None) or ports.service.project_name(
            ports.domain(), project_id
        )
    return names


def _approvers(ports: Ports, project_id: str) -> list[str]:
    project = ports.access.policy.projects.get(project_id)
    if project is None:
        return []
    return [f"<@{u}>" for u in project.approvers.users] + [f"<!subteam^{g}>" for g in project.approvers.usergroups]


def _policy_forms(ports: Ports) -> list[str]:
    policy = ports.access.policy
    named = (
        policy.subscriptions.classification.form,
        policy.subscriptions.quality_score.form,
        policy.publishing.metadata_form,
    )
    return list(dict.fromkeys(named))


def detail(ports: Ports, user_id: str, listing: Listing) -> tuple[str, list[dict[str, Any]]]:
    """`/catalog show`: the notification text and blocks of a listing in full, for `user_id`."""
    domain = ports.domain()
    owner = owner_names(ports, [listing]).get(listing.owner_project_id, listing.owner_project_id)
    standings = []
    if user_id in ports.access.policy.people:
        mine = ports.service.memberships().projects_of(domain, user_id)
        usable = [p for p in mine if p.id != listing.owner_project_id]
        standings = ports.service.standing(domain, listing, usable)
    shown = blocks.detail(listing, owner, _approvers(ports, listing.owner_project_id), _policy_forms(ports), standings)
    return f"{listing.name} in the catalog", shown


def results(
    ports: Ports, state: ids.SearchState, window_of: Callable[[int], paging.Window]
) -> tuple[str, list[dict[str, Any]]]:
    """A page of a search: `window_of(total)` chooses the page (by number, or where a button's page starts)."""
    args = SearchArgs(text=state.text, term=state.term, classification=state.classification, project=state.project)
    found, truncated = ports.service.search(ports.domain(), args)
    window = window_of(len(found))
    page = window.cut(found)
    shown = blocks.results(page, owner_names(ports, page), window, state, truncated)
    return blocks.results_text(len(found), truncated), shown
