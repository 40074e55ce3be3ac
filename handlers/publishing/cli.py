"""`opsbot publish register FILE`: the reference's registration payload from the command line."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from bot.aws import AwsClients
from bot.errors import OpsbotError
from bot.policy import PolicyError, load_policy
from bot.settings import SettingsError, load_settings
from handlers.publishing.blocks import run_text
from handlers.publishing.payload import parse_payload_text
from handlers.publishing.registration import Registrar
from handlers.publishing.runs import RunService


@click.group()
def publish() -> None:
    """Register data sources in DataZone."""


@publish.command()
@click.argument("payload", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--wait/--no-wait", default=True, show_default=True, help="Follow each run to its summary.")
def register(payload: Path, wait: bool) -> None:
    """Register every dataset of a JSON registration payload and run its data source."""
    try:
        settings = load_settings()
        policy = load_policy(settings.config)
    except (SettingsError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    if not settings.datazone_domain_id:
        raise click.ClickException("OPSBOT_DATAZONE_DOMAIN_ID is not set.")
    domain = settings.datazone_domain_id
    try:
        document = parse_payload_text(payload.read_text(encoding="utf-8"))
    except OpsbotError as exc:
        raise click.ClickException(exc.message) from None
    project = policy.publishing.project or (next(iter(policy.projects)) if len(policy.projects) == 1 else None)
    if project is None:
        raise click.ClickException("Set publishing.project in the policy file: the producer project to register in.")
    aws = AwsClients(settings.aws_region)
    registrar, runs = Registrar(aws, settings.aws_region or "us-east-1"), RunService(aws)
    started, failed = [], False
    for registration in document.registrations():
        click.echo(f"{registration.label}:")
        try:
            outcome = registrar.register(
                domain,
                project,
                registration,
                secret_arn=policy.publishing.redshift_secret_arn,
                publish_on_import=policy.publishing.publish_on_import,
                progress=lambda line: click.echo(f"  {line.replace('`', '')}"),
            )
        except OpsbotError as exc:
            click.echo(f"  failed: {exc.message}", err=True)
            failed = True
            continue
        started.append(outcome.run_id)
    for run_id in started if wait else ():
        delay = 0.25
        while runs.status(domain, run_id) not in ("SUCCESS", "PARTIALLY_SUCCEEDED", "FAILED"):
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
        view = runs.view(domain, run_id)
        click.echo(run_text(view))
        failed = failed or view.status == "FAILED"
    sys.exit(1 if failed else 0)
