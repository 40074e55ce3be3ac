"""Scheduled tasks by name, so jobs kept in the database hold names and plain arguments, never live objects.

A stored job refers to `task` and carries `(name, *args)`. The `TaskExecutor` of the running process
looks the name up in its table of bound callables (built from the process's deps at start-up) and runs
it. A job survives a restart because nothing in it depends on the process that scheduled it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger

Task = Callable[..., Any]


def task(name: str, *args: Any) -> None:
    """What stored jobs refer to; only a TaskExecutor can run it, with the process's bound tasks."""
    raise RuntimeError(f"task {name!r} was run outside a TaskExecutor")


@dataclass(frozen=True)
class _BoundJob:
    """The view of a stored job that APScheduler's run_job needs, with the task bound in."""

    id: str
    func: Task
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    misfire_grace_time: int | None
    _jobstore_alias: str
    label: str = field(compare=False)

    def __str__(self) -> str:
        return self.label


class TaskExecutor(ThreadPoolExecutor):
    """A thread pool that runs `task` jobs by looking their name up in `tasks`."""

    def __init__(self, tasks: dict[str, Task], max_workers: int = 4) -> None:
        super().__init__(max_workers)
        self._tasks = tasks

    def _do_submit_job(self, job: Job, run_times: list[Any]) -> None:
        if job.func is not task:
            super()._do_submit_job(job, run_times)
            return
        name, *args = job.args
        bound = self._tasks.get(name) or _unknown(name)
        view = _BoundJob(
            job.id,
            bound,
            tuple(args),
            dict(job.kwargs),
            job.misfire_grace_time,
            job._jobstore_alias,
            f"{name} ({job.id})",
        )
        super()._do_submit_job(view, run_times)  # type: ignore[arg-type]


def _unknown(name: str) -> Task:
    def missing(*_args: Any, **_kwargs: Any) -> None:
        raise LookupError(f"no task named {name!r} in this version of opsbot; the job stays until removed")

    return missing


def schedule(
    scheduler: BaseScheduler, job_id: str, name: str, trigger: str | BaseTrigger, *args: Any, **trigger_args: Any
) -> Job:
    """Add (or replace) the job `job_id` that runs task `name` with `args`."""
    return scheduler.add_job(task, trigger, args=(name, *args), id=job_id, replace_existing=True, **trigger_args)
