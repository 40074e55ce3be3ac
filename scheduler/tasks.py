"""Scheduled tasks by name, so jobs kept in the database hold names and plain arguments, never live objects.

A stored job refers to `task` and carries `(name, *args)`. The `TaskExecutor` of the running process
looks the name up in its table of bound callables (built from the process's deps at start-up) and runs
it. A job survives a restart because nothing in it depends on the process that scheduled it.

Every replica schedules the periodic jobs at start. A stored job with the same trigger, task, arguments
and options is kept as it is: rewriting it would reset its next run time (an interval job would slip by
one interval per restart, and a run already due could run twice). A job whose trigger or arguments
changed (the settings changed) is replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

Task = Callable[..., Any]
TRIGGERS: dict[str, type[BaseTrigger]] = {"interval": IntervalTrigger, "cron": CronTrigger, "date": DateTrigger}
# add_job's options that belong to the job, not to its trigger.
# The executor of long one-off work (scheduler/__init__.py gives it its own threads).
LONG = "long"
JOB_OPTIONS = ("misfire_grace_time", "coalesce", "max_instances", "executor")


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


class TaskExecutor(ThreadPoolExecutor):  # type: ignore[misc]  # APScheduler 3 publishes no types: Any to mypy
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
        super()._do_submit_job(view, run_times)


def _unknown(name: str) -> Task:
    def missing(*_args: Any, **_kwargs: Any) -> None:
        raise LookupError(f"no task named {name!r} in this version of opsbot; the job stays until removed")

    return missing


def schedule(
    scheduler: BaseScheduler, job_id: str, name: str, trigger: str | BaseTrigger, *args: Any, **trigger_args: Any
) -> Job:
    """Add the job `job_id` that runs task `name` with `args`; keep a stored one that is the same, else replace it.

    A stopped scheduler cannot read its store, so there the job is added (replacing) when it starts;
    start it paused first to keep unchanged jobs.
    """
    options = {key: trigger_args.pop(key) for key in JOB_OPTIONS if key in trigger_args}
    if isinstance(trigger, str):
        trigger = TRIGGERS[trigger](**{"timezone": scheduler.timezone, **trigger_args})
    elif trigger_args:
        raise TypeError("trigger arguments go with a trigger alias, not a trigger instance")
    stored = scheduler.get_job(job_id) if scheduler.running else None
    if stored is not None and _same(stored, trigger, (name, *args), options):
        return stored
    return scheduler.add_job(task, trigger, args=(name, *args), id=job_id, replace_existing=True, **options)


def _same(job: Job, trigger: BaseTrigger, args: tuple[Any, ...], options: dict[str, Any]) -> bool:
    return (
        job.func is task
        and tuple(job.args) == args
        and not job.kwargs
        and all(getattr(job, key) == value for key, value in options.items())
        and _trigger_state(job.trigger) == _trigger_state(trigger)
    )


def _trigger_state(trigger: BaseTrigger) -> tuple[type, dict[str, Any]]:
    state = dict(trigger.__getstate__())
    if isinstance(trigger, IntervalTrigger):
        # An interval trigger starts at "now + interval" unless told otherwise, so each start builds a
        # different one; the interval, time zone, end and jitter say whether it is the same schedule.
        state.pop("start_date", None)
    if "timezone" in state:
        state["timezone"] = str(state["timezone"])
    return type(trigger), state
