"""The DataZone emulator: state plus handlers, served over botocore's rest-json wire protocol."""

from __future__ import annotations

import threading
from typing import Any

from sandbox.aws.datazone import events
from sandbox.aws.datazone.catalog import CatalogHandlers
from sandbox.aws.datazone.filters import FilterHandlers
from sandbox.aws.datazone.glossary import GlossaryHandlers, GlossaryMaintenance
from sandbox.aws.datazone.projects import ProjectHandlers
from sandbox.aws.datazone.sources import SourceHandlers
from sandbox.aws.datazone.state import State
from sandbox.aws.datazone.subscriptions import SubscriptionHandlers
from sandbox.aws.restjson import RestJsonService


class DataZoneHandlers(
    CatalogHandlers,
    FilterHandlers,
    GlossaryHandlers,
    GlossaryMaintenance,
    SubscriptionHandlers,
    ProjectHandlers,
    SourceHandlers,
):
    """Every emulated DataZone operation, over one shared state."""

    def __init__(self, state: State) -> None:
        self.state = state

    @property
    def lock(self) -> threading.RLock:
        """The state's lock: API calls and background transitions take turns."""
        return self.state.lock

    def identify(self, key: str | None, user_agent: str | None = None) -> None:
        """Record the caller of the request being handled (the service runs one at a time)."""
        state = self.state
        state.discard()
        state.caller_key, state.caller_agent = key, user_agent
        state.caller = state.principals.get(key or "") or state.resolve_caller(key or "") or state.default_caller

    def completed(self, operation: str, params: dict[str, Any], response: dict[str, Any] | None) -> None:
        """A call succeeded: CloudTrail records a write, and the change's events go out after it."""
        if events.is_write(operation):
            events.cloudtrail_call(self.state, operation, params, response)
        self.state.flush()

    def abandon(self) -> None:
        """A call failed: nothing it started to announce happened."""
        self.state.discard()


def datazone_service(state: State | None = None) -> RestJsonService:
    """A DataZone emulator ready to serve; its state is `service.handlers.state`."""
    return RestJsonService("datazone", DataZoneHandlers(state or State()))
