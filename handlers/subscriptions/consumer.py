"""The consumer's side: a Slack user's requests and subscriptions, through the projects they are a member of.

"Theirs" means those of the DataZone projects the user is a member of, as DataZone's memberships and the policy's
`people` map say together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.grants import Subscription
from handlers.subscriptions.service import ConsumerRequest

# How a line reads, by the request's or the subscription's DataZone status.
PENDING, REJECTED, ACCEPTED, ACTIVE, REVOKED, CANCELLED = (
    "pending",
    "rejected",
    "accepted",
    "active",
    "revoked",
    "cancelled",
)
_SUBSCRIPTION_STATE = {"APPROVED": ACTIVE, "REVOKED": REVOKED, "CANCELLED": CANCELLED}


@dataclass(frozen=True)
class Holding:
    """One line of a consumer's list: a request still open or refused, or the subscription an accepted one made."""

    state: str
    asset_name: str
    owner_project_name: str
    project_id: str
    project_name: str
    requested_at: datetime
    request_id: str | None
    subscription_id: str | None
    # DataZone's id of who decided (a user id, an IAM or STS ARN), and when.
    reviewer: str | None
    decided_at: datetime | None
    # When a subscription was revoked or cancelled.
    ended_at: datetime | None = None


def holdings(flows: Subscriptions, domain_id: str, projects: dict[str, str]) -> list[Holding]:
    """The requests and subscriptions of these projects (id -> name), newest request first.

    An accepted request reads as the subscription it made (active, revoked or cancelled); a subscription whose
    request is not listed still has its own line.
    """
    requests = flows.requests.requested_by(domain_id, projects)
    subscriptions = flows.grants.owned_by(domain_id, list(projects))
    by_request: dict[str, list[Subscription]] = {}
    for sub in subscriptions:
        by_request.setdefault(sub.request_id or "", []).append(sub)
    lines = []
    for request in requests:
        made = by_request.pop(request.request_id, []) if request.status == "ACCEPTED" else []
        lines += [_of_subscription(sub, projects, request) for sub in made] or [_of_request(request)]
    lines += [_of_subscription(sub, projects, None) for subs in by_request.values() for sub in subs]
    return sorted(lines, key=lambda h: (h.requested_at, h.subscription_id or h.request_id or ""), reverse=True)


def _of_request(request: ConsumerRequest) -> Holding:
    return Holding(
        state={"PENDING": PENDING, "REJECTED": REJECTED}.get(request.status, ACCEPTED),
        asset_name=request.asset_name,
        owner_project_name=request.owner_project_name,
        project_id=request.project_id,
        project_name=request.project_name,
        requested_at=request.created_at,
        request_id=request.request_id,
        subscription_id=None,
        reviewer=request.reviewer,
        decided_at=request.decided_at,
    )


def _of_subscription(sub: Subscription, projects: dict[str, str], request: ConsumerRequest | None) -> Holding:
    project_id = sub.subscriber_project_id or ""
    state = _SUBSCRIPTION_STATE.get(sub.status, sub.status.lower())
    return Holding(
        state=state,
        asset_name=sub.asset_name,
        owner_project_name=request.owner_project_name if request else sub.owner_project_name or sub.owner_project_id,
        project_id=project_id,
        project_name=projects.get(project_id, project_id),
        requested_at=request.created_at if request else sub.since,
        request_id=sub.request_id,
        subscription_id=sub.subscription_id,
        # Without its request, the subscription's creator is who accepted it (DataZone creates it on acceptance).
        reviewer=request.reviewer if request else sub.approved_by,
        decided_at=request.decided_at if request else sub.since,
        ended_at=sub.updated_at if state in (REVOKED, CANCELLED) else None,
    )
