"""The audit log, readable in Slack by admins: `/audit` with filters, paged."""

from handlers.audit.listeners import register

__all__ = ["register"]
