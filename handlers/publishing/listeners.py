"""Slack side of /publish: wires the command, the preview card's buttons, and the run and registration events."""

from __future__ import annotations

from functools import partial

from bot.authz import admin, anyone
from bot.commands import Handler
from bot.inbox import datazone_events
from bot.registry import Registry
from handlers.publishing import buttons, commands, events, ids
from handlers.publishing.catalog import CatalogService
from handlers.publishing.owners import publisher
from handlers.publishing.payload import DETAIL_TYPE, SOURCE
from handlers.publishing.wiring import build_publishing


def register(registry: Registry) -> None:
    """Register /publish, its buttons, and the run and registration events."""
    kernel = registry.kernel
    publishing = build_publishing(kernel)
    catalog = CatalogService(kernel.aws, kernel.access.policy.publishing)
    handlers: dict[str, Handler] = {
        "preview": partial(commands.preview, publishing, catalog),
        "unpublish": partial(commands.unpublish, publishing, catalog),
        "redshift": partial(commands.redshift, publishing),
        "glue": partial(commands.glue, publishing),
        "status": partial(commands.status, publishing),
    }
    registry.command(commands.router(kernel.groups, handlers))
    registry.action(ids.CONFIRM, publisher(kernel.groups), partial(buttons.confirm, publishing, catalog))
    registry.action(ids.OVERRIDE, admin, partial(buttons.override, publishing, catalog))
    registry.action(ids.CANCEL, anyone, buttons.cancel)
    registry.action(ids.PREVIEW, anyone, partial(buttons.open_preview, catalog))
    for detail_type in events.RUN_EVENTS:
        run_event = datazone_events.service_event(detail_type)
        registry.on_event(datazone_events.SOURCE, run_event, partial(events.on_run_event, publishing))
    registry.on_event(SOURCE, DETAIL_TYPE, partial(events.on_registration, publishing))
