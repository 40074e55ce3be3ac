"""Slack side of /publish."""

from bot.authz import any_approver, anyone
from bot.commands import CommandRouter, Subcommand
from bot.registry import Registry

ROUTER = CommandRouter(
    command="/publish",
    summary="publish assets to the business catalog and register data sources",
    fallback=Subcommand("", "preview an asset, then confirm publishing", anyone, "<asset>"),
    subcommands=[
        Subcommand("unpublish", "remove an asset from the catalog", any_approver, "<asset>"),
        Subcommand(
            "redshift",
            "register Redshift tables as a data source and run it",
            any_approver,
            "<cluster>/<database>/<schema>[/<table>,...]",
        ),
        Subcommand(
            "glue", "register Glue tables as a data source and run it", any_approver, "<database>[/<table>,...]"
        ),
        Subcommand("status", "progress of a data source run", anyone, "<run-id>"),
    ],
)


def register(registry: Registry) -> None:
    """Register /publish."""
    registry.command(ROUTER)
