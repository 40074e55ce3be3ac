"""The audit log, readable in Slack by admins: `/audit` with filters, paged."""

from bot.capability import Capability
from handlers.audit.listeners import register

CAPABILITY = Capability("audit", register=register)

__all__ = ["CAPABILITY", "register"]
