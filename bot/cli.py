"""The `opsbot` command."""

from __future__ import annotations

import sys
from importlib import metadata

import click
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.logs import configure_logging
from bot.policy import PolicyError
from bot.settings import Settings, SettingsError, load_settings, unknown_variables


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
        run_bot(settings, mode, port)  # type: ignore[arg-type]
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
    checks = run_checks(settings, "http" if mode == "http" else "socket")
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
        database.migrate()
    except DBAPIError as exc:
        raise _database_failure(settings, exc) from None
    finally:
        database.close()
    click.echo("database schema is current")


if __name__ == "__main__":
    main()
