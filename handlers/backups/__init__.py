"""Catalog metadata backups to DynamoDB: status, runs, verify, restore."""

import structlog

from bot.capability import Capability
from bot.kernel import Kernel
from handlers.backups import alerts, queued
from handlers.backups.alerts import Alerts
from handlers.backups.doctor import check_backup_table
from handlers.backups.engine import FULL, INCREMENTAL
from handlers.backups.listeners import register
from handlers.backups.probes import PROBES
from handlers.backups.schedule import register_backup_jobs
from handlers.backups.service import FULL_JOB, INCREMENTAL_JOB, WATCH_JOB, BackupService
from scheduler.tasks import Task

log = structlog.get_logger(__name__)


def tasks(kernel: Kernel) -> dict[str, Task]:
    """The stored tasks of this capability, bound to `kernel`'s ports; a run that overlaps another is skipped."""
    service = BackupService.of(kernel)
    admins = Alerts.of(kernel, service.store)
    ports = queued.JobPorts(service, kernel.messages, kernel.audit, admins)

    def scheduled(mode: str) -> None:
        if not service.configured:
            return
        run = service.run(mode, "schedule")
        log.info("backup_run", run_id=run.run_id, mode=mode, status=run.status, seconds=run.duration)
        alerts.run_finished(admins, run)

    def watch() -> None:
        if service.configured:
            alerts.rpo_checked(admins, service.status())

    return {
        FULL_JOB: lambda: scheduled(FULL),
        INCREMENTAL_JOB: lambda: scheduled(INCREMENTAL),
        WATCH_JOB: watch,
        # Asked for in Slack, run by the scheduler: their arguments are plain strings (user, channel, plan).
        queued.RUN_NOW: lambda user, channel: queued.run_now(ports, user, channel),
        queued.RESTORE: lambda plan_id, user, channel: queued.restore_now(ports, plan_id, user, channel),
    }


def recover(kernel: Kernel) -> None:
    """Runs and restores whose process died (this one's last life, or another replica's) are abandoned."""
    BackupService.of(kernel).abandon_stale()


CAPABILITY = Capability(
    "backups",
    register=register,
    tasks=tasks,
    jobs=register_backup_jobs,
    recover=recover,
    probes=PROBES,
    doctor=check_backup_table,
    doctor_reads=frozenset({"dynamodb:DescribeContinuousBackups", "kms:DescribeKey"}),
)

__all__ = ["CAPABILITY", "register", "tasks"]
