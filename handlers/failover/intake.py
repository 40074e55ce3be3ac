"""Inbound failover events: parse, place (route and first look at the cluster), apply, and wake the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from bot.errors import NotFound
from bot.inbox.envelope import InboundEvent
from bot.kernel import Kernel
from handlers.failover.cluster_info import ClusterReader
from handlers.failover.lifecycle import Applied, Lifecycle, Placement
from handlers.failover.models import Alert
from handlers.failover.parse import parse_signal
from handlers.failover.routing import Route, route_for
from handlers.failover.signals import AlertSignal, UnknownShape
from handlers.failover.store import AlertStore

log = structlog.get_logger(__name__)


def alert_route(deps: Kernel, alert: Alert) -> Route:
    """The policy's route for an alert's cluster, by the id, name and tags it had when it opened."""
    tags = alert.facts.get("tags") or {}
    return route_for(
        deps.access.policy.clusters, alert.cluster_id, alert.cluster_name, tags, deps.settings.admin_channel
    )


class Intake:
    """Turns one inbound event into at most one alert change; never raises for a payload it cannot read."""

    def __init__(
        self,
        deps: Kernel,
        lifecycle: Lifecycle,
        store: AlertStore,
        reader: ClusterReader,
        kick: Callable[[str | None], None],
    ) -> None:
        self._deps = deps
        self._lifecycle = lifecycle
        self._store = store
        self._reader = reader
        self._kick = kick

    def handle(self, event: InboundEvent) -> Applied | None:
        """Apply the event's signal; unknown shapes are logged and kept."""
        now = datetime.now(UTC)
        try:
            signal = parse_signal(event, now)
        except UnknownShape as exc:
            log.warning(
                "failover_unknown_event", event_id=event.event_id, problem=str(exc), detail_type=event.detail_type
            )
            self._store.keep_unknown(
                str(exc), {"source": event.source, "detail_type": event.detail_type, "detail": event.detail}, now
            )
            return None
        placement = None
        if (signal.kind == "emr" and signal.cluster_id) or self._lifecycle.needs_placement(signal):
            placement = self.place(signal)
        policy = self._deps.access.policy.clusters
        applied = self._lifecycle.apply(
            signal, placement, now=now, flap_minutes=policy.flap_minutes, escalation_minutes=policy.escalation_minutes
        )
        log.info(
            "failover_signal",
            event_id=event.event_id,
            key=signal.key,
            reporter=signal.reporter,
            state=signal.state,
            form=signal.form,
            outcome=applied.outcome,
            alert=applied.alert_id,
        )
        self._kick(applied.channel)
        return applied

    def place(self, signal: AlertSignal) -> Placement:
        """Route by the cluster's id, name and tags, with its primaries as EMR lists them now."""
        name, tags, primaries = None, {}, None
        if signal.cluster_id:
            try:
                info = self._reader.describe(signal.cluster_id)
                name, tags = info.name, info.tags
                primaries = self._reader.primaries(info)
            except (NotFound, ClientError, BotoCoreError) as exc:
                # The card still goes out, routed by id, and says the primaries are unknown.
                log.warning("failover_cluster_unreadable", cluster=signal.cluster_id, error=str(exc))
        route = route_for(
            self._deps.access.policy.clusters, signal.cluster_id, name, tags, self._deps.settings.admin_channel
        )
        if route.channel is None:
            log.error("failover_no_channel", key=signal.key)
        return Placement(channel=route.channel, cluster_name=name, primaries=primaries, tags=tags)
