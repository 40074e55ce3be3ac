"""Slack side of /catalog: the command, the card's buttons, the request modal and link previews, with their rules."""

from __future__ import annotations

from functools import partial
from typing import Any

import structlog
from slack_sdk import WebClient

from bot.authz import anyone
from bot.errors import new_error_id
from bot.registry import Registry
from handlers.catalog import buttons, commands, ids, modals, unfurl
from handlers.catalog.ports import Ports
from handlers.catalog.requesters import mapped_consumer

log = structlog.get_logger(__name__)


def register(registry: Registry) -> None:
    """Register /catalog, Show and Request access, the result pages, the request modal and `link_shared`."""
    ports = Ports.of(registry.kernel)
    handlers = {
        "": partial(commands.search, ports),
        "show": partial(commands.show, ports),
        "request": partial(commands.request, ports),
    }
    registry.command(commands.router(handlers))
    registry.action(ids.SHOW, anyone, partial(buttons.show, ports))
    registry.action(ids.REQUEST, mapped_consumer, partial(buttons.request, ports))
    for action_id in ids.PAGES.action_ids:
        registry.action(action_id, anyone, partial(buttons.page, ports))
    registry.view(ids.REQUEST_MODAL, mapped_consumer, partial(modals.submit, ports), check=modals.check)

    def link_shared(event: dict[str, Any], client: WebClient) -> None:
        # Bolt passes listener arguments by name; the work is the module's. Slack sends link_shared for channels
        # the bot is not in too, where it has no business reading the catalog out.
        if event.get("is_bot_user_member") is not True:
            return
        try:
            unfurl.link_shared(ports, event, client)
        except Exception:
            # An event has no one to answer: logged with an id like any listener's failure, never raised into Bolt
            # (Slack's own preview stays).
            log.exception("catalog_unfurl_failed", error_id=new_error_id(), channel=event.get("channel"))

    registry.app.event("link_shared")(link_shared)
