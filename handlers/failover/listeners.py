"""Slack side of /cluster: wires the command, the card's buttons, the Home tab section and event intake."""

from __future__ import annotations

from functools import partial

from bot.authz import admin, anyone
from bot.registry import Registry
from bot.slack_client import build_delivery_client
from handlers.failover import buttons, ids
from handlers.failover.chart import alert_chart
from handlers.failover.commands import command_handlers, router
from handlers.failover.home import alerts_section
from handlers.failover.intake import Intake
from handlers.failover.outbox import Outbox
from handlers.failover.parse import ALARM_FORMS, EMR_FORMS
from handlers.failover.wiring import build_failover


def register(registry: Registry) -> None:
    """Register /cluster, the card's buttons, the Home tab section and the alarm and EMR event routes."""
    kernel = registry.kernel
    failover = build_failover(kernel)
    outbox = Outbox(
        failover.store,
        build_delivery_client(kernel.settings),
        runbook_for=failover.routes.runbook,
        chart_for=partial(alert_chart, failover.reader),
        pacer=kernel.pacer,
    )
    registry.worker(outbox)
    intake = Intake(failover, outbox.kick)
    for source, detail_type in (*ALARM_FORMS, *EMR_FORMS):
        registry.on_event(source, detail_type, intake.handle)
    registry.command(router(command_handlers(failover, outbox.kick)))
    registry.action(
        ids.ACKNOWLEDGE, partial(buttons.may_respond, failover), partial(buttons.acknowledge, failover, outbox.kick)
    )
    for action_id, hours in ids.SILENCE_HOURS.items():
        registry.action(action_id, admin, partial(buttons.silence, failover, outbox.kick, hours))
    registry.action(ids.INSTANCES, anyone, partial(buttons.instances, failover))
    registry.action(ids.OPEN_CARD, anyone, partial(buttons.open_card, failover))
    registry.action(ids.RUNBOOK, anyone, buttons.runbook)
    # Who may page is who may run `/cluster alerts`: its rule, not a second opinion.
    for action_id in ids.ALERTS_PAGES.action_ids:
        registry.action(action_id, router().form("alerts").rule, partial(buttons.turn_page, failover.store))
    registry.home_section("Cluster alerts", partial(alerts_section, failover.store))
