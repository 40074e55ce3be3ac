"""`opsbot subscriptions review start|list`: access review campaigns from a terminal (the cards go through the
outbox, which the bot's replicas deliver)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from bot.cli import command_capabilities
from bot.deps import kernel_for_command
from bot.errors import OpsbotError
from bot.settings import SettingsError, load_settings
from handlers.subscriptions import reviews
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.flows import subscriptions as subscriptions_of

ACTOR = "cli"


def _plain(text: str) -> str:
    """Slack mrkdwn for a terminal: no emoji codes, no backticks or stars."""
    return re.sub(r":[a-z_]+: ?", "", text).replace("`", "").replace("*", "")


@contextmanager
def _flows() -> Iterator[Subscriptions]:
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    with kernel_for_command(settings, command_capabilities()) as kernel:
        try:
            yield subscriptions_of(kernel)
        except OpsbotError as exc:
            raise click.ClickException(_plain(exc.message)) from None


@click.group()
def subscriptions() -> None:
    """DataZone subscriptions: access reviews."""


@subscriptions.group()
def review() -> None:
    """Periodic access reviews: start one now, or list the open ones."""


@review.command()
@click.option(
    "--classification",
    default="confidential",
    show_default=True,
    help="Review the subscriptions to assets of this classification (the policy must schedule reviews of it).",
)
def start(classification: str) -> None:
    """Start an access review campaign now, instead of waiting for the schedule."""
    with _flows() as flows:
        click.echo(_plain(reviews.start(flows, classification, ACTOR, datetime.now(UTC))))


@review.command("list")
def list_open() -> None:
    """The open campaigns: how many are answered, and the deadline."""
    with _flows() as flows:
        campaigns = reviews.open_reviews(flows)
        if not campaigns:
            click.echo("No access review is open.")
        for campaign, tally in campaigns:
            click.echo(
                f"{campaign.campaign_id}  {campaign.classification}: {tally.waiting} of {tally.total} awaiting, "
                f"kept {tally.kept}, revoked {tally.revoked}; due {campaign.deadline:%Y-%m-%d %H:%M} UTC"
            )
