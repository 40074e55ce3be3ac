"""The `opsbot` command."""

from __future__ import annotations

import sys
from importlib import metadata

import click
from slack_sdk.errors import SlackApiError

from bot.logs import configure_logging
from bot.policy import PolicyError
from bot.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


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
    except SlackApiError as exc:
        method = str(exc.response.api_url).rsplit("/", 1)[-1]
        raise click.ClickException(f"Slack refused {method}: {exc.response.get('error')}") from None


@main.command()
def doctor() -> None:
    """Check settings, policy, database, Slack, AWS resources and permissions; exit 1 if anything fails."""
    from bot.doctor import check_modes, run_checks

    try:
        settings = load_settings()
    except SettingsError as exc:
        click.echo(f"FAIL  settings: {exc}")
        sys.exit(1)
    checks = run_checks(settings)
    for check in checks:
        click.echo(f"{check.label}  {check.name}: {check.detail}")
    # One ready mode is enough to run; every other check must pass (WARN and SKIP lines never fail the run).
    modes = check_modes(settings)
    failed = [c for c in checks if not c.ok and c not in modes] + ([] if any(m.ok for m in modes) else modes)
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

    database = Database.from_url(_settings().database_url)
    try:
        database.migrate()
    finally:
        database.close()
    click.echo("database schema is current")


if __name__ == "__main__":
    main()
