"""The Home tab's sections of /subscriptions: the requests waiting for the viewer, oldest first; and, for a
consumer, their projects' newest requests and subscriptions."""

from __future__ import annotations

from typing import Any

from handlers.subscriptions import blocks
from handlers.subscriptions.consumer import holdings
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.pages import approvers, ends
from handlers.subscriptions.queue import approves_anything, queue_of

# The oldest few; the command pages through the rest.
HOME_LINES = 5


def pending_approvals(flows: Subscriptions, user_id: str) -> list[dict[str, Any]]:
    """The requests whose waiting step the viewer may decide, oldest first; nothing (no section) when they approve
    nothing: no project and no approval step."""
    if not approves_anything(flows.access, user_id) or not flows.domain_id:
        return []
    return blocks.home(queue_of(flows, flows.domain_id, user_id), HOME_LINES)


def my_access(flows: Subscriptions, user_id: str) -> list[dict[str, Any]]:
    """The newest few requests and subscriptions of the viewer's projects; nothing (no section) when they have none,
    or the policy's `people` map does not know them."""
    if user_id not in flows.access.policy.people or not flows.domain_id:
        return []
    projects = flows.requests.member_projects(flows.domain_id, user_id)
    items = holdings(flows, flows.domain_id, projects) if projects else []
    if not items:
        return []
    shown = items[:HOME_LINES]
    return blocks.home_mine(items, HOME_LINES, approvers(flows, flows.domain_id, shown), ends(flows, shown))
