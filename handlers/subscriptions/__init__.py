"""DataZone subscription requests: cards, decisions, access, time-bound access and revocation."""

from apscheduler.schedulers.base import BaseScheduler

from bot.capability import Capability
from bot.kernel import Kernel
from bot.settings import Settings
from handlers.subscriptions import expiry
from handlers.subscriptions.doctor import check_domain
from handlers.subscriptions.intake import sweep
from handlers.subscriptions.listeners import register
from handlers.subscriptions.probes import PROBES
from handlers.subscriptions.service import SubscriptionService
from handlers.subscriptions.store import CardStore
from scheduler.tasks import Task, schedule

# EventBridge delivers DataZone events best-effort; the sweep catches what it drops within this time.
SWEEP_MINUTES = 10
SWEEP = "subscriptions.sweep"


def tasks(deps: Kernel) -> dict[str, Task]:
    """The stored tasks of this capability, bound to `deps`; each is idempotent (a job may run twice)."""
    service, store = SubscriptionService(deps.aws, deps.access.policy), CardStore(deps.db)
    return {
        SWEEP: lambda domain_id: sweep(deps, service, store, domain_id),
        expiry.EXPIRE: lambda domain_id, subscription_id: expiry.expire(deps, domain_id, subscription_id),
        expiry.REMIND: lambda domain_id, subscription_id: expiry.remind(deps, domain_id, subscription_id),
    }


def jobs(scheduler: BaseScheduler, settings: Settings) -> list[str]:
    """The sweep of the configured domain (time-bound access schedules its own one-off jobs)."""
    domain = settings.datazone_domain_id
    if not domain:
        return []
    return [schedule(scheduler, SWEEP, SWEEP, "interval", domain, minutes=SWEEP_MINUTES).id]


CAPABILITY = Capability("subscriptions", register=register, tasks=tasks, jobs=jobs, probes=PROBES, doctor=check_domain)

__all__ = ["CAPABILITY", "register", "tasks"]
