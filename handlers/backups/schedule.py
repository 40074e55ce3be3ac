"""When backups run: a full run on a cron line, incremental runs in between, and an RPO watch.

After downtime: a missed incremental run still runs once as soon as a leader is up, however late
(`misfire_grace_time=None`, coalesced), because a late backup beats none when the RPO is at stake; a
missed full run is skipped (the default grace time) since the incremental run that follows catches up
on everything that changed, and the next full run rewrites everything anyway.
"""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.settings import Settings
from handlers.backups.service import FULL_JOB, INCREMENTAL_JOB, WATCH_JOB
from scheduler.tasks import schedule

WATCH_MINUTES = 5


def register_backup_jobs(scheduler: BaseScheduler, settings: Settings) -> list[str]:
    """Add the backup jobs when a table and a domain are configured; returns their ids."""
    if not (settings.backup_table and settings.datazone_domain_id):
        return []
    jobs = [
        schedule(scheduler, FULL_JOB, FULL_JOB, CronTrigger.from_crontab(settings.backup_full_cron, timezone="UTC")).id
    ]
    if settings.backup_incremental_minutes:
        jobs.append(
            schedule(
                scheduler,
                INCREMENTAL_JOB,
                INCREMENTAL_JOB,
                "interval",
                minutes=settings.backup_incremental_minutes,
                misfire_grace_time=None,
            ).id
        )
    jobs.append(schedule(scheduler, WATCH_JOB, WATCH_JOB, "interval", minutes=WATCH_MINUTES).id)
    return jobs
