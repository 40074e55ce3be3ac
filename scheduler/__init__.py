"""APScheduler inside the bot: build it, register the periodic jobs, nothing at import time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from bot.db import Database
from scheduler.tasks import LONG, Task, TaskExecutor

if TYPE_CHECKING:  # bot.deps holds the Jobs of this package, so the import goes one way only at run time
    from bot.capability import Capability
    from bot.deps import Deps

JOBS_TABLE = "apscheduler_jobs"


def job_store(db: Database) -> SQLAlchemyJobStore:
    """The job store every replica shares, in the bot's database."""
    return SQLAlchemyJobStore(engine=db.engine, tablename=JOBS_TABLE)


def build_scheduler(db: Database | None = None, tasks: dict[str, Task] | None = None) -> BackgroundScheduler:
    """A scheduler whose jobs never overlap themselves and coalesce runs missed while down.

    With `db`, jobs live in the bot's database and survive restarts; a run missed by more than the
    grace time (while every replica was down) is skipped and logged rather than run late.
    """
    store = job_store(db) if db is not None else MemoryJobStore()
    return BackgroundScheduler(
        timezone="UTC",
        jobstores={"default": store},
        # Long work a user asked for (a backup run, a restore) may hold a thread for hours: it gets its own pool,
        # so the every-minute jobs (failover escalation) never wait behind it.
        executors={"default": TaskExecutor(tasks or {}), LONG: TaskExecutor(tasks or {}, max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )


def bound_tasks(deps: Deps, capabilities: Sequence[Capability]) -> dict[str, Task]:
    """The named tasks stored jobs may run, bound to this process's deps: every capability's."""
    tasks: dict[str, Task] = {}
    for capability in capabilities:
        tasks.update(capability.tasks(deps.kernel))
    return tasks


def register_jobs(scheduler: BaseScheduler, deps: Deps, capabilities: Sequence[Capability]) -> list[str]:
    """Add each capability's periodic jobs, keeping stored ones that are unchanged; returns their ids.

    The scheduler is started paused if it is not running yet: only a started scheduler reads its store,
    and a job compared with nothing would be rewritten (its next run time reset) on every replica start.
    The leader election resumes it on the leader.
    """
    if not scheduler.running:
        scheduler.start(paused=True)
    return [job for capability in capabilities for job in capability.jobs(scheduler, deps.settings)]
