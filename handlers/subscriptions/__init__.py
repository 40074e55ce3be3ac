"""DataZone subscription requests: cards, decisions, access, time-bound access and revocation."""

from bot.deps import Deps
from handlers.subscriptions import expiry
from handlers.subscriptions.intake import sweep
from handlers.subscriptions.listeners import register
from handlers.subscriptions.service import SubscriptionService
from handlers.subscriptions.store import CardStore
from scheduler.tasks import Task


def tasks(deps: Deps) -> dict[str, Task]:
    """The stored tasks of this capability, bound to `deps`; each is idempotent (a job may run twice)."""
    service, store = SubscriptionService(deps.aws, deps.access.policy), CardStore(deps.db)
    return {
        "subscriptions.sweep": lambda domain_id: sweep(deps, service, store, domain_id),
        expiry.EXPIRE: lambda domain_id, subscription_id: expiry.expire(deps, domain_id, subscription_id),
        expiry.REMIND: lambda domain_id, subscription_id: expiry.remind(deps, domain_id, subscription_id),
    }


__all__ = ["register", "tasks"]
