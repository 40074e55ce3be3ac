"""The `opsbot` command, with every capability."""

from bot.cli import run_cli
from opsbot.capabilities import CAPABILITIES


def main() -> None:
    """Entry point of the `opsbot` console script."""
    run_cli(CAPABILITIES)
