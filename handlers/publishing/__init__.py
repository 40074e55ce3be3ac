"""Publishing assets and registering Redshift and Glue data sources."""

from apscheduler.schedulers.base import BaseScheduler

from bot.capability import Capability
from bot.kernel import Kernel
from bot.settings import Settings
from handlers.publishing.listeners import register
from handlers.publishing.probes import PROBES
from handlers.publishing.sweep import SWEEP, sweep
from handlers.publishing.workflow import Publishing
from scheduler.tasks import Task, schedule

# A run whose poller died with a replaced task (every deploy) and whose Succeeded/Failed event was lost gets its
# summary within this time: runs take seconds to minutes, so a longer wait would be most of the run's story.
# Each tick costs one GetDataSourceRun per run still followed (at most a day's runs, usually none), and 5
# minutes is also the misfire grace: a tick missed during a deploy still runs if a leader is back within it.
SWEEP_MINUTES = 5


def tasks(deps: Kernel) -> dict[str, Task]:
    """The stored tasks of this capability, bound to `deps`; the sweep is idempotent (a job may run twice)."""
    publishing = Publishing(deps)
    return {SWEEP: lambda: sweep(publishing)}


def jobs(scheduler: BaseScheduler, settings: Settings) -> list[str]:
    """The sweep of followed runs; runs are only started with a domain, and each run's card names its own."""
    if not settings.datazone_domain_id:
        return []
    return [schedule(scheduler, SWEEP, SWEEP, "interval", minutes=SWEEP_MINUTES).id]


CAPABILITY = Capability("publishing", register=register, tasks=tasks, jobs=jobs, probes=PROBES)

__all__ = ["CAPABILITY", "register", "tasks"]
