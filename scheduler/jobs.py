"""One-off stored jobs that listeners schedule (an access expiry, a reminder), on the process's scheduler."""

from __future__ import annotations

import contextlib
from datetime import datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler

from scheduler.tasks import schedule


class SchedulerMissing(RuntimeError):
    """Something tried to schedule a job in a process that runs no scheduler."""


class Jobs:
    """Adds and removes date jobs; the runner attaches its scheduler, whose store every replica shares."""

    def __init__(self) -> None:
        self._scheduler: BaseScheduler | None = None

    def attach(self, scheduler: BaseScheduler) -> None:
        """Use `scheduler` from now on."""
        self._scheduler = scheduler

    @property
    def available(self) -> bool:
        """True once a scheduler is attached."""
        return self._scheduler is not None

    def at(self, job_id: str, task_name: str, when: datetime, *args: str) -> None:
        """Run task `task_name` with `args` at `when`, replacing any job with the same id."""
        if self._scheduler is None:
            raise SchedulerMissing("this opsbot process runs no scheduler, so nothing can be scheduled")
        # A job due in the past runs at once: coalesce and the grace time apply as for any missed run.
        schedule(self._scheduler, job_id, task_name, "date", *args, run_date=when, misfire_grace_time=None)

    def cancel(self, job_id: str) -> None:
        """Remove the job if it is still there."""
        if self._scheduler is None:
            return
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(job_id)

    def due(self, job_id: str) -> datetime | None:
        """When the job runs next, if it exists."""
        job = self._scheduler.get_job(job_id) if self._scheduler is not None else None
        return job.next_run_time if job is not None else None
