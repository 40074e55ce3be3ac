"""Slack side of /protein."""

from bot.authz import anyone
from bot.commands import CommandRouter, Subcommand
from bot.registry import Registry

ROUTER = CommandRouter(
    command="/protein",
    summary="nearest proteins in the embedding database",
    fallback=Subcommand(
        "",
        "nearest proteins to a stored protein or an amino-acid sequence",
        anyone,
        "<protein-id | sequence> [k=N] [nprobes=N] [refine=N]",
    ),
    subcommands=[Subcommand("info", "buckets, rows, index and embedder", anyone)],
)


def register(registry: Registry) -> None:
    """Register /protein."""
    registry.command(ROUTER)
