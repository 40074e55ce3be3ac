"""Long work a user asks for in Slack (a full run now, a restore): queued as a one-off job on the shared scheduler.

A listener only checks and queues, so it answers at once and no listener thread is held for minutes; the job
runs on whichever replica leads, survives a restart in the job store, and reports in a thread of the channel
the user asked from. A stored job holds only a task name and plain strings (scheduler/tasks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import structlog

from bot.audit import AuditLog
from bot.errors import BadInput, Conflict, OpsbotError, new_error_id
from bot.kernel import Messages
from handlers.backups import alerts, blocks
from handlers.backups.alerts import Alerts
from handlers.backups.engine import FULL
from handlers.backups.service import BackupService, record_run
from handlers.backups.thread import Thread
from scheduler.jobs import Jobs

log = structlog.get_logger(__name__)

T = TypeVar("T")

# The task's name is also the job's id: one run asked for at a time, so a double click queues it once.
RUN_NOW = "backups.run_now"
RESTORE = "backups.restore"

NO_SCHEDULER = (
    "This opsbot process runs no scheduler, so it cannot {what} from Slack. "
    "An admin can run `opsbot backup {command}` in a terminal instead."
)
QUEUED_RUN = ":hourglass_flowing_sand: A full catalog backup is queued; its progress will follow in a thread here."


def restore_job_id(plan_id: str) -> str:
    """One job per plan: applying a plan twice queues it once."""
    return f"{RESTORE}.{plan_id}"


@dataclass(frozen=True)
class JobPorts:
    """What the queued jobs use: the service, the outbox for their thread, the audit log and the alerts."""

    service: BackupService
    messages: Messages
    audit: AuditLog
    alerts: Alerts


def queue_run(service: BackupService, jobs: Jobs, user: str, channel: str) -> None:
    """Queue a full run for `user`, reported in `channel`; refused at once if it could not run or would be skipped."""
    service.domain()
    service.table()
    if not jobs.available:
        raise BadInput(NO_SCHEDULER.format(what="run a backup", command="run"))
    if jobs.due(RUN_NOW) is not None:
        raise Conflict("A full catalog backup is queued already; its progress will follow in its thread.")
    service.check_idle()
    jobs.at(RUN_NOW, RUN_NOW, datetime.now(UTC), user, channel, long=True)


def queue_restore(service: BackupService, jobs: Jobs, plan_id: str, user: str, channel: str) -> str:
    """Queue applying `plan_id` for `user`, reported in `channel`; returns the plan's target domain."""
    if not jobs.available:
        raise BadInput(NO_SCHEDULER.format(what="apply a restore plan", command=f"restore apply {plan_id}"))
    plan = service.get_plan_now(plan_id)
    # An abandoned apply (its process died) may be applied again: every step is idempotent.
    if plan.status not in ("planned", "abandoned"):
        raise Conflict(f"Plan `{plan.plan_id}` is {plan.status}; make a new plan to restore again.")
    job_id = restore_job_id(plan_id)
    if jobs.due(job_id) is not None:
        raise Conflict(f"Restore plan `{plan_id}` is queued already; its progress will follow in its thread.")
    jobs.at(job_id, RESTORE, datetime.now(UTC), plan_id, user, channel, long=True)
    return plan.target_domain_id


def run_now(ports: JobPorts, user: str, channel: str) -> None:
    """The queued full run: progress in a thread, the outcome in the parent message, audit and alert after."""
    thread = Thread(ports.messages, channel, f":floppy_disk: <@{user}> started a full catalog backup…", user)
    # A run that overlaps another is skipped (Conflict), and says so in its thread.
    finished = _reporting(thread, "backups.run_now", lambda: ports.service.run(FULL, user, thread.say))
    if finished is None:
        return
    thread.finish(blocks.run_text(finished))
    record_run(ports.audit, user, finished)
    alerts.run_finished(ports.alerts, finished)


def restore_now(ports: JobPorts, plan_id: str, user: str, channel: str) -> None:
    """The queued restore: progress in a thread, the measured RTO at the end (the service records the audit)."""
    # The thread opens before anything is read, so even a plan that cannot be read is answered in it.
    thread = Thread(ports.messages, channel, f":recycle: <@{user}> is applying restore plan `{plan_id}`…", user)

    def apply() -> str:
        target = ports.service.get_plan(plan_id).target_domain_id
        thread.say(f"Restoring the catalog into `{target}`.")
        return blocks.applied_text(plan_id, target, ports.service.apply(plan_id, user, thread.say))

    summary = _reporting(thread, "backups.restore", apply)
    if summary is not None:
        thread.finish(summary)


def _reporting(thread: Thread, task: str, work: Callable[[], T]) -> T | None:
    """`work`'s result; if it fails, the thread says so as a listener's error would have, and None."""
    try:
        return work()
    except OpsbotError as refused:
        log.info("backup_job_refused", task=task, error=refused.message)
        thread.finish(f":warning: {refused.message}")
    except Exception:
        error_id = new_error_id()
        log.error("backup_job_failed", task=task, error_id=error_id, exc_info=True)
        thread.finish(
            f":x: Something went wrong on opsbot's side (error id `{error_id}`). "
            "Try again; if it keeps failing, give that id to the opsbot admins."
        )
    return None
