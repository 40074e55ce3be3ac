"""Publishing assets and registering Redshift and Glue data sources."""

from bot.deps import Deps
from handlers.publishing.listeners import register
from handlers.publishing.sweep import SWEEP, sweep
from handlers.publishing.workflow import Publishing
from scheduler.tasks import Task


def tasks(deps: Deps) -> dict[str, Task]:
    """The stored tasks of this capability, bound to `deps`; the sweep is idempotent (a job may run twice)."""
    publishing = Publishing(deps)
    return {SWEEP: lambda: sweep(publishing)}


__all__ = ["register", "tasks"]
