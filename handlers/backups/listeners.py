"""Slack side of /backup."""

from bot.authz import admin, anyone
from bot.commands import CommandRouter, Subcommand
from bot.registry import Registry

ROUTER = CommandRouter(
    command="/backup",
    summary="catalog metadata backups against the RPO",
    default="status",
    subcommands=[
        Subcommand("status", "age of the last backup against the RPO, replicas, failures", anyone),
        Subcommand("run", "run a full backup now", admin),
        Subcommand("history", "the last n runs", anyone, "[n]"),
        Subcommand("verify", "drift between the live catalog and the backup", admin),
        Subcommand(
            "restore", "plan a restore, then apply the plan", admin, "plan [<target-domain-id>] | apply <plan-id>"
        ),
    ],
)


def register(registry: Registry) -> None:
    """Register /backup."""
    registry.command(ROUTER)
