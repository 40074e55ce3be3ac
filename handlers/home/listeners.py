"""Publishes the Home tab when a user opens it."""

from __future__ import annotations

from functools import partial
from typing import Any

import structlog
from slack_sdk import WebClient

from bot.authz import Access
from bot.errors import new_error_id
from bot.registry import Registry
from handlers.home.blocks import home_view, roles_line, section_failed

log = structlog.get_logger(__name__)


def render_home(registry: Registry, access: Access, user_id: str) -> dict[str, Any]:
    """The tab of `user_id`: their roles, the commands and every section, as registered by then."""
    sections = []
    for title, section in registry.home_sections:
        try:
            blocks = section(user_id)
        except Exception:
            # One broken capability must not blank the whole tab.
            error_id = new_error_id()
            log.exception("home_section_failed", section=title, error_id=error_id)
            blocks = section_failed(error_id)
        sections.append((title, blocks))
    projects = access.policy.projects
    names = [projects[pid].name or pid for pid in access.approver_projects(user_id)]
    roles = roles_line(access.is_admin(user_id), names)
    return home_view(roles, list(registry.commands.values()), sections)


def publish_home(registry: Registry, access: Access, event: dict[str, Any], client: WebClient) -> None:
    """Render the Home tab for the user who opened it."""
    if event.get("tab") != "home":
        return
    user_id = str(event["user"])
    client.views_publish(user_id=user_id, view=render_home(registry, access, user_id))


def register(registry: Registry) -> None:
    """Register the app_home_opened listener (Bolt passes `event` and `client` by name)."""
    registry.app.event("app_home_opened")(partial(publish_home, registry, registry.kernel.access))
