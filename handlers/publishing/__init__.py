"""Publishing assets and registering Redshift and Glue data sources."""

from functools import partial

from apscheduler.schedulers.base import BaseScheduler

from bot.capability import Capability
from bot.kernel import Kernel
from bot.settings import Settings
from handlers.publishing.listeners import register
from handlers.publishing.probes import PROBES
from handlers.publishing.sweep import SWEEP, sweep
from handlers.publishing.wiring import build_publishing
from scheduler.tasks import Task, schedule

# A run whose poller died with a replaced task (every deploy) and whose Succeeded/Failed event was lost gets its
# summary within this time: runs take seconds to minutes, so a longer wait would be most of the run's story.
# Each tick costs one GetDataSourceRun per run still followed (at most a day's runs, usually none), and 5
# minutes is also the misfire grace: a tick missed during a deploy still runs if a leader is back within it.
SWEEP_MINUTES = 5


def tasks(kernel: Kernel) -> dict[str, Task]:
    """The sweep of followed runs, bound to the workflow built once; it is idempotent (a job may run twice)."""
    return {SWEEP: partial(sweep, build_publishing(kernel))}


def jobs(scheduler: BaseScheduler, settings: Settings) -> list[str]:
    """The sweep of followed runs; runs are only started with a domain, and each run's card names its own."""
    if not settings.datazone_domain_id:
        return []
    return [schedule(scheduler, SWEEP, SWEEP, "interval", minutes=SWEEP_MINUTES).id]


CAPABILITY = Capability("publishing", register=register, tasks=tasks, jobs=jobs, probes=PROBES)

__all__ = ["CAPABILITY", "register", "tasks"]
