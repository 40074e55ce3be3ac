"""EMR primary-node failover alerts from CloudWatch and EMR events."""

from collections.abc import Callable

from bot.deps import Deps
from handlers.failover.due import run_due
from handlers.failover.listeners import register
from handlers.failover.store import AlertStore


def due_task(deps: Deps) -> Callable[[], dict[str, int]]:
    """The scheduled sweep (escalation, silence expiry), bound to `deps`."""
    store = AlertStore(deps.db)
    return lambda: run_due(deps, store)


__all__ = ["due_task", "register"]
