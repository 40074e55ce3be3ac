"""EMR primary-node failover alerts from CloudWatch and EMR events."""

from collections.abc import Mapping
from functools import partial

from apscheduler.schedulers.base import BaseScheduler

from bot.capability import Capability
from bot.kernel import Kernel
from bot.settings import Settings
from handlers.failover.doctor import check_emr_cloudwatch
from handlers.failover.due import run_due
from handlers.failover.listeners import register
from handlers.failover.probes import PROBES
from handlers.failover.wiring import build_failover
from scheduler.tasks import Task, schedule

DUE = "failover.due"
# Escalations and silence expiry are due to the minute.
DUE_SECONDS = 60


def tasks(kernel: Kernel) -> Mapping[str, Task]:
    """The scheduled sweep (escalation, silence expiry), bound to the capability's objects, built once."""
    return {DUE: partial(run_due, build_failover(kernel))}


def jobs(scheduler: BaseScheduler, _settings: Settings) -> list[str]:
    """The sweep, every minute."""
    return [schedule(scheduler, DUE, DUE, "interval", seconds=DUE_SECONDS).id]


CAPABILITY = Capability(
    "failover", register=register, tasks=tasks, jobs=jobs, probes=PROBES, doctor=check_emr_cloudwatch
)

__all__ = ["CAPABILITY", "register", "tasks"]
