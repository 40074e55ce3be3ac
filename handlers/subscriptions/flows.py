"""The ports the subscription flows are built from, once, at start: what they say, record, check and schedule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bot.audit import AuditLog
from bot.authz import Access
from bot.db import Database
from bot.errors import BadInput
from bot.kernel import Kernel, Messages
from handlers.subscriptions import review_store  # noqa: F401  # registers the review tables' models
from handlers.subscriptions.grants import GrantService
from handlers.subscriptions.requesters import recorded_requester
from handlers.subscriptions.service import SubscriptionService
from handlers.subscriptions.store import AccessStore, CardStore
from scheduler.jobs import Jobs


@dataclass(frozen=True)
class Subscriptions:
    """Exactly what the listeners, flows and stored tasks of this capability use; nothing else of the kernel."""

    db: Database
    # The durable outbox: cards, their updates and word to requesters.
    messages: Messages
    audit: AuditLog
    # Who approves for which project, who is an admin, and the policy (read on each use: it can be reloaded).
    access: Access
    # Date jobs for time-bound access: the revoke at the end and the reminder before it.
    jobs: Jobs
    # A card's permalink for escalations: a read, so it is not queued.
    permalink: Callable[[str, str], str]
    requests: SubscriptionService
    grants: GrantService
    cards: CardStore
    timed: AccessStore
    domain_id: str | None
    admin_channel: str | None

    def domain(self) -> str:
        """The configured DataZone domain, or BadInput telling the user an admin has yet to set it."""
        if not self.domain_id:
            raise BadInput("opsbot has no DataZone domain yet: an admin sets OPSBOT_DATAZONE_DOMAIN_ID.")
        return self.domain_id

    def channel_for(self, owner_project_id: str) -> str | None:
        """The publishing project's channel from the policy, else the admin channel."""
        project = self.access.policy.projects.get(owner_project_id)
        return (project.channel if project else None) or self.admin_channel


def subscriptions(kernel: Kernel) -> Subscriptions:
    """The capability's ports, from the kernel's."""
    return Subscriptions(
        db=kernel.db,
        messages=kernel.messages,
        audit=kernel.audit,
        access=kernel.access,
        jobs=kernel.jobs,
        permalink=kernel.permalink,
        requests=SubscriptionService(kernel.aws, kernel.access.policy, partial(recorded_requester, kernel.db)),
        grants=GrantService(kernel.aws),
        cards=CardStore(kernel.db),
        timed=AccessStore(kernel.db),
        domain_id=kernel.settings.datazone_domain_id,
        admin_channel=kernel.settings.admin_channel,
    )
