"""DataZone subscription requests: cards, decisions, access and revocation."""

from collections.abc import Callable

from bot.deps import Deps
from handlers.subscriptions.intake import sweep
from handlers.subscriptions.listeners import register
from handlers.subscriptions.service import SubscriptionService
from handlers.subscriptions.store import CardStore


def sweep_task(deps: Deps) -> Callable[[str], object]:
    """The scheduled sweep of a domain's pending requests, bound to `deps`."""
    service, store = SubscriptionService(deps.aws, deps.access.policy), CardStore(deps.db)
    return lambda domain_id: sweep(deps, service, store, domain_id)


__all__ = ["register", "sweep_task"]
