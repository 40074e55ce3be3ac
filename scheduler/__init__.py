"""APScheduler inside the bot: build it, register the periodic jobs, nothing at import time."""

from __future__ import annotations

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.deps import Deps


def build_scheduler() -> BackgroundScheduler:
    """A scheduler whose jobs never overlap themselves and coalesce runs missed while down."""
    return BackgroundScheduler(
        timezone="UTC",
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )


def register_jobs(scheduler: BackgroundScheduler, deps: Deps) -> list[str]:
    """Add each capability's periodic jobs; returns their ids. Capabilities add theirs here."""
    del scheduler, deps  # no capability has a periodic job yet
    return []
