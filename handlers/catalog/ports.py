"""What /catalog's listeners are built from: the kernel's ports it needs, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bot.audit import AuditLog
from bot.authz import Access
from bot.errors import BadInput
from bot.kernel import Kernel, Messages
from bot.settings import Settings
from handlers.catalog.service import CatalogService
from handlers.subscriptions.requesters import record_requester


@dataclass(frozen=True)
class Ports:
    """The catalog service and the kernel's settings, roles, audit log and outbox."""

    service: CatalogService
    settings: Settings
    access: Access
    audit: AuditLog
    messages: Messages

    @classmethod
    def of(cls, kernel: Kernel) -> Ports:
        """The ports, from the kernel."""
        return cls(
            CatalogService(kernel.aws, kernel.access.policy, partial(record_requester, kernel.db)),
            kernel.settings,
            kernel.access,
            kernel.audit,
            kernel.messages,
        )

    def domain(self) -> str:
        """The configured DataZone domain; BadInput telling an admin what to set when there is none."""
        if not self.settings.datazone_domain_id:
            raise BadInput("opsbot has no DataZone domain yet: an admin sets OPSBOT_DATAZONE_DOMAIN_ID.")
        return self.settings.datazone_domain_id
