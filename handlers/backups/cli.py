"""`opsbot backup run|status|history|verify|restore plan|restore apply`: the same service as /backup, in a terminal."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import click

from bot.cli import command_capabilities
from bot.deps import kernel_for_command
from bot.errors import OpsbotError
from bot.kernel import Kernel
from bot.settings import SettingsError, load_settings
from bot.wording import count
from handlers.backups import alerts, blocks
from handlers.backups.alerts import Alerts
from handlers.backups.arguments import parse_restore
from handlers.backups.engine import FULL, INCREMENTAL
from handlers.backups.service import BackupService, record_run
from scheduler import job_store

ACTOR = "cli"


def _plain(text: str) -> str:
    """Slack mrkdwn for a terminal: no emoji codes, no backticks or stars."""
    return re.sub(r":[a-z_]+: ?", "", text).replace("`", "").replace("*", "")


@contextmanager
def _kernel() -> Iterator[Kernel]:
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    # The running command's capabilities: its database is migrated for all of them, as the bot's is.
    with kernel_for_command(settings, command_capabilities()) as kernel:
        # The stored jobs say when the next run is; the command only reads them (it runs no scheduler).
        kernel.jobs.read_from(job_store(kernel.db))
        try:
            yield kernel
        except OpsbotError as exc:
            raise click.ClickException(exc.message) from None


@contextmanager
def _service() -> Iterator[BackupService]:
    with _kernel() as kernel:
        yield BackupService.of(kernel)


@click.group()
def backup() -> None:
    """Catalog metadata backups to the DynamoDB global table."""


@backup.command()
@click.option("--incremental", is_flag=True, help="Write only what changed since the table was last written.")
def run(incremental: bool) -> None:
    """Run a backup now, here rather than as a queued job (a terminal may wait), and print its record."""
    with _kernel() as kernel:
        service = BackupService.of(kernel)
        finished = service.run(INCREMENTAL if incremental else FULL, ACTOR, lambda line: click.echo(_plain(line)))
        record_run(service.audit, ACTOR, finished)
        alerts.run_finished(Alerts.of(kernel, service.store), finished)
        click.echo(_plain(blocks.run_text(finished)))
        if finished.status == "failed":
            raise SystemExit(1)


@backup.command()
def status() -> None:
    """Age of the last backup against the RPO, next run, replicas, recent failures."""
    with _service() as service:
        found = service.status()
        click.echo(f"[{found.colour.upper()}] " + _plain(blocks.rpo_line(found)))
        click.echo(f"next run: {blocks.when(found.next_run)}")
        if found.last is not None:
            click.echo(f"last run backed up: {blocks.counts_line(found.last)}")
        if found.health is not None:
            health = found.health
            click.echo(f"table {found.table}: {count(health.items, 'item')} in {health.region} ({health.status})")
        click.echo("replicas:\n" + _plain(blocks.replica_lines(found)))
        for failed in found.failures:
            click.echo(f"failure: {failed.run_id} {failed.mode} {failed.status}: {_plain(blocks.failure_text(failed))}")


@backup.command()
@click.argument("n", type=click.IntRange(1, 50), default=10)
def history(n: int) -> None:
    """The newest runs."""
    with _service() as service:
        for line in _plain(blocks.history_blocks(service.history(n))[0]["text"]["text"]).splitlines():
            click.echo(line)


@backup.command()
def verify() -> None:
    """Drift between the live catalog and the backup; exit 1 when there is any."""
    with _service() as service:
        found = service.verify()
        for block in blocks.drift_blocks(found):
            click.echo(_plain(block["text"]["text"]))
        if not found.clean:
            raise SystemExit(1)


@backup.group()
def restore() -> None:
    """Plan a restore into a domain, then apply the plan."""


@restore.command("plan")
@click.argument("target", required=False)
@click.option("--region", help="Read the backup from this replica region.")
def plan_command(target: str | None, region: str | None) -> None:
    """What restoring into TARGET (default: the backed-up domain) would create or update."""
    words = " ".join(["plan", *([target] if target else []), *([f"region={region}"] if region else [])])
    with _service() as service:
        args = parse_restore(words)
        plan = service.plan(args.target, ACTOR, args.region)
        click.echo(f"plan {plan.plan_id}: {plan.source_domain_id} -> {plan.target_domain_id}")
        click.echo(_plain(blocks.plan_lines(plan)))
        click.echo(f"apply with: opsbot backup restore apply {plan.plan_id}")


@restore.command("apply")
@click.argument("plan_id")
@click.option("--yes", is_flag=True, help="Do not ask to confirm.")
def apply_command(plan_id: str, yes: bool) -> None:
    """Apply a plan, then print the measured RTO."""
    with _service() as service:
        args = parse_restore(f"apply {plan_id}")
        plan = service.get_plan(args.plan_id or "")
        click.echo(_plain(blocks.plan_lines(plan)))
        if not yes:
            click.confirm(f"Apply {plan.plan_id} to {plan.target_domain_id}?", abort=True)
        result = service.apply(plan.plan_id, ACTOR, lambda line: click.echo(_plain(line)))
        click.echo(_plain(blocks.applied_text(plan.plan_id, plan.target_domain_id, result)))
        click.echo(
            json.dumps({"rto_seconds": round(result.seconds, 3), "created": result.created, "updated": result.updated})
        )
        if result.failed:
            raise SystemExit(1)
