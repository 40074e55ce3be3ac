"""`opsbot sandbox` and `opsbot console`, attached to the opsbot command as plugins."""

from __future__ import annotations

import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

import click

# Where the sample protein database lives: moto's S3 (as production keeps it) or a local directory.
_PROTEINS = click.option(
    "--proteins",
    "proteins_on",
    type=click.Choice(["s3", "local"]),
    default="s3",
    show_default=True,
    help="Where the sample protein database lives.",
)


@click.command()
@_PROTEINS
def sandbox(proteins_on: str) -> None:
    """Start the sandbox's Slack and AWS stand-ins, seeded, and print the variables that point at them."""
    from sandbox.runtime import start_sandbox

    workdir = Path(tempfile.mkdtemp(prefix="opsbot-sandbox-"))
    box = start_sandbox(workdir, proteins_on=proteins_on)
    try:
        # Ctrl-C (or a TERM) from here on only asks to stop. A KeyboardInterrupt could land anywhere, in
        # the middle of printing the exports or holding a lock that shutting down needs, and skip the stop.
        signals: list[int] = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda received, _frame: signals.append(received))
        click.echo("# The sandbox is running. In another shell:")
        for name, value in box.env().items():
            click.echo(f"export {name}={shlex.quote(value)}")  # the storage options are JSON
        click.echo("# then: opsbot run --mode http   (Ctrl-C here stops the sandbox)")
        while not signals:
            time.sleep(0.2)  # a signal cuts the sleep short; its handler runs first
    finally:
        box.stop()


@click.command()
@click.option(
    "--script",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run these console lines, then exit; non-zero if any step fails.",
)
@_PROTEINS
def console(script: Path | None, proteins_on: str) -> None:
    """The bot over the sandbox: type slash commands, press buttons, fire sample events."""
    import logging

    from bot.logs import configure_logging
    from sandbox.console import HELP, Console, ConsoleError
    from sandbox.runtime import start_sandbox

    # The console shows what the bot does; logs would only repeat it. Errors still come through.
    configure_logging("ERROR", "console")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    workdir = Path(tempfile.mkdtemp(prefix="opsbot-console-"))
    box = start_sandbox(workdir, proteins_on=proteins_on)
    session = Console(box, workdir)
    failures = 0
    try:
        if script is not None:
            for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), start=1):
                try:
                    session.run(line)
                except ConsoleError as exc:
                    failures += 1
                    session.terminal.print(f"  FAILED at {script.name}:{number}: {exc}", style="bold red", markup=False)
                except EOFError:
                    break
        else:
            session.terminal.print(HELP)
            while True:
                try:
                    session.run(session.terminal.input("> "))
                except ConsoleError as exc:
                    session.terminal.print(f"  {exc}", style="red", markup=False)
                except (EOFError, KeyboardInterrupt):
                    break
    finally:
        session.close()
        box.stop()
    if failures:
        click.echo(f"{failures} step(s) failed", err=True)
        sys.exit(1)
