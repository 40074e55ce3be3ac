"""Handling one inbound event: once per event id, by the handler its source and detail-type route to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import structlog

from bot.inbox.envelope import InboundEvent
from bot.inbox.router import EventRouter
from bot.inbox.store import HandledEvents
from bot.metrics import Metrics

if TYPE_CHECKING:
    from bot.deps import Deps

log = structlog.get_logger(__name__)

Outcome = Literal["handled", "duplicate", "unrouted"]


class Inbox:
    """Routes events to capability handlers; a handler's exception propagates so the caller can retry."""

    def __init__(self, router: EventRouter, handled: HandledEvents, metrics: Metrics) -> None:
        self._router = router
        self._handled = handled
        self._metrics = metrics

    def handle(self, event: InboundEvent) -> Outcome:
        """Handle `event` unless it was handled before."""
        if self._handled.seen(event.event_id):
            self._count(event, "duplicate")
            return "duplicate"
        handler = self._router.handler_for(event)
        if handler is None:
            # Kept in the log with its payload, so a new event shape can be studied, never a crash.
            log.warning(
                "unrouted_event",
                event_id=event.event_id,
                source=event.source,
                detail_type=event.detail_type,
                via=event.via,
                detail=event.detail,
            )
            outcome: Outcome = "unrouted"
        else:
            try:
                handler(event)
            except Exception:
                self._count(event, "failed")
                raise
            outcome = "handled"
        self._handled.mark(event.event_id, event.source, event.detail_type, outcome)
        self._count(event, outcome)
        return outcome

    def _count(self, event: InboundEvent, outcome: str) -> None:
        self._metrics.inbox_events.labels(event.source, outcome).inc()


def build_inbox(deps: Deps) -> Inbox:
    """The inbox over the routes capabilities registered in `deps.events`."""
    return Inbox(deps.events, HandledEvents(deps.db), deps.metrics)
