"""Inbound failover events: parse, place (route and first look at the cluster), apply, and wake the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from bot.errors import NotFound
from bot.inbox.envelope import InboundEvent
from handlers.failover.lifecycle import Applied, Placement
from handlers.failover.parse import parse_signal
from handlers.failover.signals import AlertSignal, UnknownShape
from handlers.failover.wiring import Failover

log = structlog.get_logger(__name__)


class Intake:
    """Turns one inbound event into at most one alert change; never raises for a payload it cannot read."""

    def __init__(self, failover: Failover, kick: Callable[[str | None], None]) -> None:
        self._routes = failover.routes
        self._lifecycle = failover.lifecycle
        self._store = failover.store
        self._reader = failover.reader
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
        policy = self._routes.policy
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
        route = self._routes.for_cluster(signal.cluster_id, name, tags)
        if route.channel is None:
            log.error("failover_no_channel", key=signal.key)
        return Placement(channel=route.channel, cluster_name=name, primaries=primaries, tags=tags)
