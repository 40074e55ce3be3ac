"""Routes inbound events to capability handlers by source and detail-type, registered explicitly.

CloudTrail's records of API calls all share one detail-type whatever the service, so those are routed
by the action called (detail.eventName) as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.inbox.envelope import InboundEvent

EventHandler = Callable[[InboundEvent], None]

# EventBridge's detail-type for CloudTrail's record of an API call, the same for every service:
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
API_CALL_DETAIL_TYPE = "AWS API Call via CloudTrail"


@dataclass
class EventRouter:
    """(source, detail-type) to handler; a detail-type of "*" takes every event of that source."""

    _routes: dict[tuple[str, str], EventHandler] = field(default_factory=dict)
    _api_calls: dict[tuple[str, str], EventHandler] = field(default_factory=dict)

    def on(self, source: str, detail_type: str, handler: EventHandler) -> None:
        """Send events of `source` and `detail_type` to `handler`."""
        key = (source, detail_type)
        if key in self._routes:
            raise ValueError(f"{source} / {detail_type} is routed twice")
        self._routes[key] = handler

    def on_api_call(self, source: str, event_name: str, handler: EventHandler) -> None:
        """Send CloudTrail's records of the API action `event_name` (from `source`) to `handler`."""
        key = (source, event_name)
        if key in self._api_calls:
            raise ValueError(f"{source} / {API_CALL_DETAIL_TYPE} / {event_name} is routed twice")
        self._api_calls[key] = handler

    def routes(self) -> list[tuple[str, str]]:
        """Every (source, detail-type) routed, e.g. for the EventBridge rules a deployment needs."""
        return sorted(set(self._routes) | {(source, API_CALL_DETAIL_TYPE) for source, _ in self._api_calls})

    def api_calls(self) -> list[tuple[str, str]]:
        """Every (source, eventName) routed among CloudTrail's records of API calls."""
        return sorted(self._api_calls)

    def handler_for(self, event: InboundEvent) -> EventHandler | None:
        """The handler for an event, or None when nothing wants it."""
        if event.detail_type == API_CALL_DETAIL_TYPE:
            name = event.detail.get("eventName")
            found = self._api_calls.get((event.source, name)) if isinstance(name, str) else None
            if found is not None:
                return found
        return self._routes.get((event.source, event.detail_type)) or self._routes.get((event.source, "*"))
