"""APScheduler inside the bot: build it, register the periodic jobs, nothing at import time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.db import Database
from scheduler.tasks import Task, TaskExecutor, schedule

if TYPE_CHECKING:  # bot.deps holds the Jobs of this package, so the import goes one way only at run time
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
        executors={"default": TaskExecutor(tasks or {})},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )


# EventBridge delivers DataZone events best-effort; the sweep catches what it drops within this time.
SWEEP_MINUTES = 10
# A run whose poller died with a replaced task (every deploy) and whose Succeeded/Failed event was lost gets its
# summary within this time: runs take seconds to minutes, so a longer wait would be most of the run's story.
# Each tick costs one GetDataSourceRun per run still followed (at most a day's runs, usually none), and 5
# minutes is also the misfire grace: a tick missed during a deploy still runs if a leader is back within it.
PUBLISHING_SWEEP_MINUTES = 5
# Escalations and silence expiry are due to the minute.
FAILOVER_DUE_SECONDS = 60


def bound_tasks(deps: Deps) -> dict[str, Task]:
    """The named tasks stored jobs may run, bound to this process's deps. Capabilities add theirs here."""
    from handlers import backups, failover, publishing, subscriptions

    return {
        **subscriptions.tasks(deps),
        **publishing.tasks(deps),
        **backups.tasks(deps),
        "failover.due": failover.due_task(deps),
    }


def register_jobs(scheduler: BackgroundScheduler, deps: Deps) -> list[str]:
    """Add each capability's periodic jobs, keeping stored ones that are unchanged; returns their ids.

    The scheduler is started paused if it is not running yet: only a started scheduler reads its store,
    and a job compared with nothing would be rewritten (its next run time reset) on every replica start.
    The leader election resumes it on the leader.
    """
    if not scheduler.running:
        scheduler.start(paused=True)
    jobs = []
    domain = deps.settings.datazone_domain_id
    if domain:
        jobs.append(
            schedule(
                scheduler, "subscriptions.sweep", "subscriptions.sweep", "interval", domain, minutes=SWEEP_MINUTES
            ).id
        )
        # Runs are only started with a domain; each run's card names its own, so the job needs no arguments.
        jobs.append(
            schedule(scheduler, "publishing.sweep", "publishing.sweep", "interval", minutes=PUBLISHING_SWEEP_MINUTES).id
        )
    jobs.append(schedule(scheduler, "failover.due", "failover.due", "interval", seconds=FAILOVER_DUE_SECONDS).id)
    from handlers.backups.schedule import register_backup_jobs

    jobs += register_backup_jobs(scheduler, deps.settings)
    return jobs
