"""Slack side of /subscriptions."""

from bot.authz import any_approver, anyone
from bot.commands import CommandRouter, Subcommand, listener_for
from bot.registry import Registry

ROUTER = CommandRouter(
    command="/subscriptions",
    summary="DataZone subscription requests to your data",
    default="pending",
    subcommands=[
        Subcommand("pending", "pending requests you can decide", anyone),
        Subcommand("show", "one request in full", anyone, "<request-id>"),
        Subcommand("approve", "approve a request", any_approver, "<request-id> [comment]"),
        Subcommand("reject", "reject a request with a reason", any_approver, "<request-id> <reason>"),
        Subcommand("access", "who has access to an asset", anyone, "<asset>"),
        Subcommand("revoke", "revoke a subscription", any_approver, "<subscription-id> [reason]"),
    ],
)


def register(registry: Registry) -> None:
    """Register /subscriptions."""
    registry.command(ROUTER, listener_for(ROUTER))
