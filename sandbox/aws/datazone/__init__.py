"""The DataZone emulator: state plus handlers, served over botocore's rest-json wire protocol."""

from __future__ import annotations

from sandbox.aws.datazone.catalog import CatalogHandlers
from sandbox.aws.datazone.glossary import GlossaryHandlers, GlossaryMaintenance
from sandbox.aws.datazone.projects import ProjectHandlers
from sandbox.aws.datazone.sources import SourceHandlers
from sandbox.aws.datazone.state import State
from sandbox.aws.datazone.subscriptions import SubscriptionHandlers
from sandbox.aws.restjson import RestJsonService


class DataZoneHandlers(
    CatalogHandlers, GlossaryHandlers, GlossaryMaintenance, SubscriptionHandlers, ProjectHandlers, SourceHandlers
):
    """Every emulated DataZone operation, over one shared state."""

    def __init__(self, state: State) -> None:
        self.state = state

    def identify(self, key: str | None) -> None:
        """Record the caller of the request being handled (the service runs one at a time)."""
        state = self.state
        state.caller = state.principals.get(key or "") or state.resolve_caller(key or "") or state.default_caller


def datazone_service(state: State | None = None) -> RestJsonService:
    """A DataZone emulator ready to serve; its state is `service.handlers.state`."""
    return RestJsonService("datazone", DataZoneHandlers(state or State()))
