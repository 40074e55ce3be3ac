"""The backups capability without Slack: runs, status, history, verify, restore plans and their application."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.audit import AuditLog
from bot.aws import AwsClients
from bot.db import Database
from bot.errors import BadInput, Conflict, NotFound
from bot.kernel import Kernel
from bot.settings import Settings
from bot.wording import duration
from handlers.backups.age import WINDOW, AgeHistory, age_history
from handlers.backups.catalog import KINDS, CatalogReader
from handlers.backups.engine import BackupEngine, as_entity, new_run_id, stored_entities
from handlers.backups.restore import ApplyResult, Restorer, plan_steps, summarise
from handlers.backups.status import BackupStatus, Drift, drift
from handlers.backups.store import ABANDONED, FAILED, PARTIAL, SUCCEEDED, BackupRun, BackupStore, RestorePlan
from handlers.backups.table import BackupTable
from scheduler.heartbeat import Heartbeat
from scheduler.jobs import Jobs
from scheduler.lease import Lease

log = structlog.get_logger(__name__)

FULL_JOB, INCREMENTAL_JOB, WATCH_JOB = "backups.full", "backups.incremental", "backups.watch"
Progress = Callable[[str], None]


def record_run(audit: AuditLog, actor: str, finished: BackupRun) -> None:
    """Audit a backup run someone started: ok when it succeeded, failed otherwise (partial, failed), with its
    status and, when it failed, why."""
    reason = {"reason": finished.failure} if finished.failure else {}
    audit.record(
        actor=actor,
        action="backups.run",
        target=finished.run_id,
        result="ok" if finished.status == SUCCEEDED else "failed",
        detail={"status": finished.status, **reason},
    )


class BackupService:
    """Everything /backup, the CLI and the scheduler do, over the few ports of this process it needs."""

    def __init__(self, settings: Settings, db: Database, aws: AwsClients, jobs: Jobs, audit: AuditLog) -> None:
        self.settings = settings
        self.db = db
        self.aws = aws
        # Read only, for the next run's time in the status.
        self.jobs = jobs
        self.audit = audit
        self.store = BackupStore(db)

    @classmethod
    def of(cls, kernel: Kernel) -> BackupService:
        """The service over the ports of `kernel` that it uses."""
        return cls(kernel.settings, kernel.db, kernel.aws, kernel.jobs, kernel.audit)

    # -- configuration -----------------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        """True when a table and a domain are set."""
        return bool(self.settings.backup_table and self.settings.datazone_domain_id)

    def domain(self) -> str:
        """The domain backed up; BadInput when unset."""
        if not self.settings.datazone_domain_id:
            raise BadInput("opsbot has no DataZone domain yet: an admin sets OPSBOT_DATAZONE_DOMAIN_ID.")
        return self.settings.datazone_domain_id

    def table(self, region: str | None = None) -> BackupTable:
        """A fresh handle on the backup table (its own write counters), in `region` or the primary one."""
        if not self.settings.backup_table:
            raise BadInput("Backups are not set up: an admin sets OPSBOT_BACKUP_TABLE.")
        client = self.aws.client("dynamodb") if region is None else self._regional(region)
        return BackupTable(client, self.settings.backup_table)

    def _regional(self, region: str) -> Any:
        # The same credentials and endpoint settings, another region: each replica answers for itself.
        return self.aws.client("dynamodb", region)

    def engine(self) -> BackupEngine:
        """An engine over a fresh table handle."""
        return BackupEngine(self.aws.client("datazone"), self.table(), self.store, self.settings.backup_project_ids)

    # -- liveness of long runs ---------------------------------------------------------------------

    @property
    def heartbeat_bound(self) -> timedelta:
        """A run with no heartbeat for this long has no live holder: the scheduler lease's time to live."""
        return timedelta(seconds=self.settings.scheduler_lease_seconds)

    def _heartbeat(self, name: str, beat: Callable[[], bool]) -> Heartbeat:
        # Three beats per bound, as the scheduler renews its lease: one lost beat never abandons a live run.
        return Heartbeat(name, beat, self.heartbeat_bound.total_seconds() / 3)

    def abandon_stale(self) -> list[str]:
        """Mark abandoned every run and restore whose process died (no heartbeat within the bound); their ids."""
        runs = self.store.abandon(None, self.heartbeat_bound)
        plans = self.store.abandon_plans(self.heartbeat_bound)
        for found in (*runs, *plans):
            log.warning("backup_run_abandoned", run=found, bound_seconds=self.heartbeat_bound.total_seconds())
        return [*runs, *plans]

    # -- runs --------------------------------------------------------------------------------------

    def run(self, mode: str, trigger: str, progress: Progress | None = None) -> BackupRun:
        """A full or incremental run now; Conflict while another one holds the domain's run lease."""
        domain = self.domain()
        run_id = new_run_id()
        # One run per domain across replicas: the lease's holder renews it with its heartbeat, so a run
        # whose process died frees the domain within the bound and is abandoned by the next one.
        lease = self._run_lease(domain, run_id)
        if not lease.acquire():
            raise self._still_running(domain)
        try:
            for old in self.store.abandon(domain, self.heartbeat_bound, exclusive_except=run_id):
                log.warning("backup_run_abandoned", run=old, taken_over_by=run_id)

            def beat() -> bool:
                held = lease.acquire()
                self.store.beat(run_id)
                return held

            with self._heartbeat(run_id, beat):
                return self.engine().run(domain, mode, trigger, progress, run_id=run_id)
        finally:
            try:
                lease.release()
            except SQLAlchemyError as exc:
                # The run is recorded already; its lease simply expires within the bound.
                log.warning("backup_lease_release_failed", run=run_id, error=str(exc)[:300])

    def check_idle(self) -> None:
        """Conflict while a run holds the domain's run lease: a run asked for now would be skipped.

        Only a courtesy to the asker: the run itself takes the lease, so a run started in between is still skipped.
        """
        domain = self.domain()
        if self._run_lease(domain, "").current_holder() is not None:
            raise self._still_running(domain)

    def _run_lease(self, domain: str, run_id: str) -> Lease:
        return Lease(self.db, f"backups:{domain}"[:64], run_id, self.heartbeat_bound.total_seconds())

    def _still_running(self, domain: str) -> Conflict:
        running = self.store.running(domain)
        what = f"`{running.run_id}` ({running.mode})" if running is not None else "another backup run"
        return Conflict(f"Backup run {what} is still running.")

    def back_up_entity(self, domain_id: str, kind: str, entity_id: str, trigger: str) -> tuple[str, BackupRun]:
        """Event-driven backup of one entity."""
        run_id = new_run_id()
        with self._heartbeat(run_id, lambda: self.store.beat(run_id)):
            return self.engine().back_up_one(domain_id, kind, entity_id, trigger, run_id=run_id)

    def history(self, limit: int) -> list[BackupRun]:
        """The newest runs (runs whose process died shown as abandoned)."""
        self.abandon_stale()
        return self.store.recent(self.domain(), limit)

    def age_history(self, now: datetime | None = None) -> AgeHistory:
        """The backup's age against the RPO over the last week, from the run records."""
        until = now or datetime.now(UTC)
        runs = self.store.completed(self.domain(), until - WINDOW)
        return age_history(runs, timedelta(minutes=self.settings.backup_rpo_minutes), until)

    def status(self) -> BackupStatus:
        """Age against the RPO, next run, replica health, recent failures."""
        domain = self.domain()
        table = self.table()
        self.abandon_stale()
        due = [when for when in (self.jobs.due(FULL_JOB), self.jobs.due(INCREMENTAL_JOB)) if when]
        recent = self.store.recent(domain, 20)
        status = BackupStatus(
            domain_id=domain,
            table=table.name,
            rpo=timedelta(minutes=self.settings.backup_rpo_minutes),
            last=self.store.last_complete(domain),
            running=self.store.running(domain),
            next_run=min(due) if due else None,
            failures=[r for r in recent if r.status in (FAILED, PARTIAL, ABANDONED)][:3],
            health=None,
        )
        try:
            regional = {region: self._regional(region) for region in self.settings.replica_regions}
            status.health = table.health(domain, regional)
        except (BotoCoreError, ClientError) as exc:
            status.health_error = str(exc)[:300]
        return status

    def verify(self) -> Drift:
        """Drift between the live catalog and the backup."""
        domain = self.domain()
        snapshot = CatalogReader(self.aws.client("datazone"), domain, self.settings.backup_project_ids).read()
        return drift(snapshot, self.table(), domain)

    # -- restore -----------------------------------------------------------------------------------

    def plan(self, target: str | None, user: str, region: str | None = None) -> RestorePlan:
        """What restoring the backup into `target` (default: the backed-up domain) would create or update."""
        source = self.domain()
        target = target or source
        table = self.table(region)
        backed_up = {kind: [as_entity(s) for s in stored_entities(table, source, kind)] for kind in KINDS}
        if not any(backed_up.values()):
            raise NotFound(f"The backup table holds nothing for {source}: run a backup first.")
        datazone = self.aws.client("datazone")
        try:
            current = CatalogReader(datazone, target).read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                raise NotFound(f"DataZone has no domain {target}.") from None
            raise
        steps = plan_steps(backed_up, current)
        plan = RestorePlan(
            plan_id=f"plan-{uuid.uuid4().hex[:10]}",
            source_domain_id=source,
            target_domain_id=target,
            created_by=user[:64],
            created_at=datetime.now(UTC),
            status="planned",
            steps=json.dumps(steps),
            summary=json.dumps(summarise(steps)),
        )
        self.store.save_plan(plan)
        self.audit.record(
            actor=user, action="backups.restore_plan", target=plan.plan_id, result="ok", detail={"target": target}
        )
        return plan

    def get_plan(self, plan_id: str) -> RestorePlan:
        """A stored plan; NotFound otherwise."""
        plan = self.store.plan(plan_id)
        if plan is None:
            raise NotFound(f"No restore plan `{plan_id}`: make one with `/backup restore plan [<target-domain-id>]`.")
        return plan

    def get_plan_now(self, plan_id: str) -> RestorePlan:
        """A stored plan, an apply whose process died shown as abandoned; NotFound otherwise."""
        self.store.abandon_plans(self.heartbeat_bound)
        return self.get_plan(plan_id)

    def apply(self, plan_id: str, user: str, progress: Progress | None = None) -> ApplyResult:
        """Apply a plan once (an abandoned apply resumes: steps are idempotent); Conflict if applying or applied."""
        plan = self.get_plan_now(plan_id)
        if not self.store.claim_plan(plan_id):
            raise Conflict(f"Plan `{plan_id}` is {plan.status}; make a new plan to restore again.")
        restorer = Restorer(self.aws.client("datazone"), plan.target_domain_id, progress)
        try:
            with self._heartbeat(plan_id, lambda: self.store.beat_plan(plan_id)):
                result = restorer.apply(json.loads(plan.steps))
        except Exception as exc:
            self.store.finish_plan(plan_id, "failed", 0.0, {"error": str(exc)[:500]})
            raise
        self.store.finish_plan(plan_id, "failed" if result.failed else "applied", result.seconds, result.as_dict())
        self.audit.record(
            actor=user,
            action="backups.restore_apply",
            target=plan_id,
            result="ok" if not result.failed else "failed",
            detail={
                "created": result.created,
                "updated": result.updated,
                "failed": len(result.failed),
                "rto": duration(result.seconds),
            },
        )
        return result
