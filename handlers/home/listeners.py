"""Publishes the Home tab when a user opens it."""

from __future__ import annotations

from typing import Any

import structlog
from slack_sdk import WebClient

from bot.errors import new_error_id
from bot.registry import Registry
from handlers.home.blocks import home_view, roles_line, section_failed

log = structlog.get_logger(__name__)


def register(registry: Registry) -> None:
    """Register the app_home_opened listener."""
    deps = registry.kernel

    def render_home(user_id: str) -> dict[str, Any]:
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
        access = deps.access
        projects = access.policy.projects
        names = [projects[pid].name or pid for pid in access.approver_projects(user_id)]
        roles = roles_line(access.is_admin(user_id), names)
        return home_view(roles, list(registry.commands.values()), sections)

    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        """Render the Home tab for the user who opened it."""
        if event.get("tab") != "home":
            return
        user_id = str(event["user"])
        client.views_publish(user_id=user_id, view=render_home(user_id))

    registry.app.event("app_home_opened")(publish_home)
