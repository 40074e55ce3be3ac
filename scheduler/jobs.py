"""One-off stored jobs that listeners schedule (an access expiry, a reminder), on the process's scheduler."""

from __future__ import annotations

import contextlib
from datetime import datetime

from apscheduler.jobstores.base import BaseJobStore, JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.exc import DBAPIError

from scheduler.tasks import LONG, schedule


class SchedulerMissing(RuntimeError):
    """Something tried to schedule a job in a process that runs no scheduler."""


class Jobs:
    """Adds and removes date jobs; the runner attaches its scheduler, whose store every replica shares."""

    def __init__(self) -> None:
        self._scheduler: BaseScheduler | None = None
        self._store: BaseJobStore | None = None

    def attach(self, scheduler: BaseScheduler) -> None:
        """Use `scheduler` from now on."""
        self._scheduler = scheduler

    def read_from(self, store: BaseJobStore) -> None:
        """Only read `store`, for a command that must not touch jobs: starting even a paused scheduler on the shared
        store and shutting it down processes overdue jobs and moves their next run."""
        self._store = store

    @property
    def available(self) -> bool:
        """True once a scheduler is attached."""
        return self._scheduler is not None

    def at(self, job_id: str, task_name: str, when: datetime, *args: str, long: bool = False) -> None:
        """Run task `task_name` with `args` at `when`, replacing any job with the same id.

        `long` work (minutes to hours) runs on its own threads, never in the way of the periodic jobs.
        """
        if self._scheduler is None:
            raise SchedulerMissing("this opsbot process runs no scheduler, so nothing can be scheduled")
        # A job due in the past runs at once: coalesce and the grace time apply as for any missed run.
        executor = {"executor": LONG} if long else {}
        schedule(self._scheduler, job_id, task_name, "date", *args, run_date=when, misfire_grace_time=None, **executor)

    def cancel(self, job_id: str) -> None:
        """Remove the job if it is still there."""
        if self._scheduler is None:
            return
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(job_id)

    def due(self, job_id: str) -> datetime | None:
        """When the job runs next, if it exists."""
        if self._scheduler is not None:
            job = self._scheduler.get_job(job_id)
        elif self._store is not None:
            try:
                job = self._store.lookup_job(job_id)
            except DBAPIError:  # no job table yet: no replica has registered its jobs
                return None
        else:
            return None
        return job.next_run_time if job is not None else None
