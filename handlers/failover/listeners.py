"""Slack side of /cluster."""

from bot.authz import admin, anyone
from bot.commands import CommandRouter, Subcommand
from bot.registry import Registry

ROUTER = CommandRouter(
    command="/cluster",
    summary="EMR primary-node failover alerts",
    subcommands=[
        Subcommand("status", "state, primaries, alarms and recent events", anyone, "<cluster>"),
        Subcommand("alerts", "open alerts", anyone),
        Subcommand("watch", "create the recommended MultiMaster alarms", admin, "<cluster>"),
        Subcommand("unwatch", "delete the alarms opsbot created", admin, "<cluster>"),
        Subcommand("silence", "mute a cluster's alerts for a while", admin, "<cluster> <duration>"),
    ],
)


def register(registry: Registry) -> None:
    """Register /cluster."""
    registry.command(ROUTER)
