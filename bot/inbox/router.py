"""Routes inbound events to capability handlers by source and detail-type, registered explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.inbox.envelope import InboundEvent

EventHandler = Callable[[InboundEvent], None]


@dataclass
class EventRouter:
    """(source, detail-type) to handler; a detail-type of "*" takes every event of that source."""

    _routes: dict[tuple[str, str], EventHandler] = field(default_factory=dict)

    def on(self, source: str, detail_type: str, handler: EventHandler) -> None:
        """Send events of `source` and `detail_type` to `handler`."""
        key = (source, detail_type)
        if key in self._routes:
            raise ValueError(f"{source} / {detail_type} is routed twice")
        self._routes[key] = handler

    def routes(self) -> list[tuple[str, str]]:
        """Every (source, detail-type) routed, e.g. for the EventBridge rules a deployment needs."""
        return sorted(self._routes)

    def handler_for(self, event: InboundEvent) -> EventHandler | None:
        """The handler for an event, or None when nothing wants it."""
        return self._routes.get((event.source, event.detail_type)) or self._routes.get((event.source, "*"))
