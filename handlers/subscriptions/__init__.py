"""DataZone subscription requests: cards, decisions, access and revocation."""

from handlers.subscriptions.listeners import register

__all__ = ["register"]
