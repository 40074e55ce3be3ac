"""The Home tab's section of /subscriptions: the requests waiting for the viewer, oldest first."""

from __future__ import annotations

from typing import Any

from handlers.subscriptions import blocks
from handlers.subscriptions.flows import Subscriptions

# The oldest few; the command pages through the rest.
HOME_LINES = 5


def pending_approvals(flows: Subscriptions, user_id: str) -> list[dict[str, Any]]:
    """The viewer's pending approvals, oldest first; nothing when they approve for no project."""
    admin = flows.access.is_admin(user_id)
    projects = None if admin else flows.access.approver_projects(user_id)
    if projects == [] or not flows.domain_id:
        return []
    return blocks.home(flows.requests.pending(flows.domain_id, projects), HOME_LINES)
