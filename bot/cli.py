"""The `opsbot` command."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata

import click
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.capability import Capability
from bot.logs import configure_logging
from bot.policy import PolicyError
from bot.settings import Settings, SettingsError, load_settings, unknown_variables


@dataclass(frozen=True)
class Composition:
    """What the composition root hands the command line: the capabilities to run and check."""

    capabilities: tuple[Capability, ...]


def command_capabilities() -> tuple[Capability, ...]:
    """The capabilities the running `opsbot` command was started with (by the composition root)."""
    composition = click.get_current_context().find_object(Composition)
    if composition is None:  # bot/ names no capability: only the composition root can supply them
        raise click.ClickException("started without its capabilities: run the `opsbot` command")
    return composition.capabilities


def _settings() -> Settings:
    for warning in unknown_variables():
        click.echo(f"warning: {warning}", err=True)
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _database_failure(settings: Settings, exc: DBAPIError) -> click.ClickException:
    """One line naming the setting and what failed, instead of the driver's traceback."""
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    reason = (str(exc.orig) or type(exc.orig).__name__).strip().splitlines()[0]
    return click.ClickException(f"OPSBOT_DATABASE_URL ({url}): the database cannot be used: {reason}")


class _Commands(click.Group):
    """The built-in commands plus those other installed packages declare under `opsbot.commands`."""

    def _plugins(self) -> dict[str, metadata.EntryPoint]:
        return {ep.name: ep for ep in metadata.entry_points(group="opsbot.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in self._plugins():
            command = self._plugins()[name].load()
        return command


@click.group(cls=_Commands)
@click.version_option(package_name="opsbot", prog_name="opsbot")
def main() -> None:
    """opsbot: chat-ops for a data mesh on AWS."""


@main.command()
@click.option("--mode", type=click.Choice(["socket", "http"]), default="socket", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="HTTP port (default OPSBOT_PORT, 3000).")
def run(mode: str, port: int | None) -> None:
    """Run the bot until SIGTERM."""
    from bot.runner import run as run_bot

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        run_bot(settings, "http" if mode == "http" else "socket", command_capabilities(), port)
    except (SettingsError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        raise _database_failure(settings, exc) from None
    except SlackApiError as exc:
        method = str(exc.response.api_url).rsplit("/", 1)[-1]
        raise click.ClickException(f"Slack refused {method}: {exc.response.get('error')}") from None


@main.command()
@click.option(
    "--mode",
    type=click.Choice(["socket", "http"]),
    default="socket",
    show_default=True,
    help="The mode `opsbot run` will use: only its settings are checked.",
)
def doctor(mode: str) -> None:
    """Check settings, policy, database, Slack, AWS resources and permissions; exit 1 if anything fails."""
    from bot.doctor import Check, run_checks

    try:
        settings = load_settings()
    except SettingsError as exc:
        click.echo(f"FAIL  settings: {exc}")
        sys.exit(1)
    checks = run_checks(settings, command_capabilities(), "http" if mode == "http" else "socket")
    checks = [*(Check.of("setting", "WARN", warning) for warning in unknown_variables()), *checks]
    for check in checks:
        click.echo(f"{check.label}  {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]  # WARN and SKIP lines never fail the run
    counts = {label: sum(c.label == label for c in checks) for label in ("PASS", "WARN", "SKIP", "FAIL")}
    notes = [f"{counts['WARN']} with warnings"] * bool(counts["WARN"]) + [f"{counts['SKIP']} skipped"] * bool(
        counts["SKIP"]
    )
    ran = len(checks) - counts["SKIP"]
    click.echo(f"\n{counts['PASS']}/{ran} checks passed" + (f" ({'; '.join(notes)})." if notes else "."))
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--user", help="Slack user id of the actor, e.g. U0123ALICE.")
@click.option("--capability", help="An action prefix (subscriptions, backups, ...) or a command (/cluster).")
@click.option("--since", help="A date (YYYY-MM-DD) or an age (7d, 12h).")
@click.option("--result", type=click.Choice(["ok", "denied", "failed", "conflict"]))
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="Every column as CSV on standard output.")
def audit(
    user: str | None, capability: str | None, since: str | None, result: str | None, limit: int, as_csv: bool
) -> None:
    """The audit log, newest first: who did what, when, and how it ended (refusals included)."""
    from bot.audit_query import parse_filters, read_page, reason_of, when
    from bot.db import Database
    from bot.errors import BadInput
    from bot.wording import count

    given = {"user": user, "capability": capability, "since": since, "result": result}
    try:
        filters = parse_filters(" ".join(f"{key} {value}" for key, value in given.items() if value))
    except BadInput as exc:
        raise click.UsageError(exc.message.splitlines()[0]) from None
    settings = _settings()
    database = Database.from_url(settings.database_url)
    try:
        page = read_page(database, filters, limit=limit)
    except DBAPIError as exc:
        raise _database_failure(settings, exc) from None
    finally:
        database.close()
    rows = [(when(e.at), e.actor, e.action, e.target, e.result, reason_of(e), e.error_id or "") for e in page.entries]
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["at", "actor", "action", "target", "result", "reason", "error_id"])
        writer.writerows(rows)
        return
    for at, actor, action, target, outcome, reason, error_id in rows:
        extra = f"  ({reason})" if reason else ""
        extra += f"  error id {error_id}" if error_id else ""
        click.echo(f"{at}  {actor:<12} {action:<28} {outcome:<8} {target}{extra}")
    click.echo(
        f"{len(rows)} of {count(page.total, 'entry', 'entries')}"
        + (f"; --limit {page.total} shows all" if page.total > len(rows) else "")
    )


@main.group()
def db() -> None:
    """The bot's own database."""


@db.command()
def upgrade() -> None:
    """Apply schema migrations."""
    from bot.db import Database

    settings = _settings()
    database = Database.from_url(settings.database_url)
    try:
        database.migrate(command_capabilities())
    except DBAPIError as exc:
        raise _database_failure(settings, exc) from None
    finally:
        database.close()
    click.echo("database schema is current")


def run_cli(capabilities: Sequence[Capability], args: Sequence[str] | None = None) -> None:
    """The command line with `capabilities` (the composition root's entry point calls this)."""
    main(args, obj=Composition(tuple(capabilities)))
