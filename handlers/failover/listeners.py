"""Slack side of /cluster: the command, the card's buttons, the Home tab section, and event intake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.authz import ALLOW, Access, Decision, admin, anyone
from bot.blockkit import section
from bot.charts import Picture
from bot.db import utc
from bot.kernel import Kernel
from bot.paging import Window
from bot.registry import Interaction, Registry
from bot.replies import channel_of, response_url_failure, tell_user, user_of
from bot.slack_client import build_delivery_client
from bot.wording import clock
from handlers.failover import blocks, ids
from handlers.failover.chart import alt_text, render_chart
from handlers.failover.cluster_info import ClusterReader
from handlers.failover.commands import ALERTS_PAGE, command_handlers, router, show_alerts
from handlers.failover.intake import Intake, alert_route
from handlers.failover.lifecycle import Lifecycle
from handlers.failover.models import ACKNOWLEDGED, Alert
from handlers.failover.outbox import CHART_REFUSALS, Outbox
from handlers.failover.parse import ALARM_FORMS, EMR_FORMS
from handlers.failover.store import AlertStore, silence_target

# The Home tab lists this many open alerts; `/cluster alerts` pages through them all.
HOME_ALERTS = 10

log = structlog.get_logger(__name__)


def _ref(body: dict[str, Any]) -> ids.AlertRef | None:
    raw = (body.get("actions") or [{}])[0].get("value")
    try:
        return ids.AlertRef.model_validate_json(raw) if isinstance(raw, str) else None
    except ValidationError:
        return None


def _tell(client: WebClient, body: dict[str, Any], text: str, view: list[dict[str, Any]]) -> None:
    """An ephemeral answer with blocks to whoever clicked."""
    try:
        if body.get("response_url"):
            sent = WebhookClient(body["response_url"]).send(
                text=text, blocks=view, response_type="ephemeral", replace_original=False
            )
            # WebhookClient reports a refusal (invalid_blocks, an expired URL) by status, not by raising.
            failure = response_url_failure(sent)
            if failure is not None:
                log.warning("failover_answer_refused", failure=failure)
                tell_user(client, body, text)
        elif channel_of(body) and user_of(body):
            client.chat_postEphemeral(channel=channel_of(body), user=user_of(body), text=text, blocks=view)
    except SlackApiError:
        tell_user(client, body, text)


def _already(alert: Alert | None) -> str:
    """Why an acknowledgement did nothing: who acknowledged it first, or that it is over."""
    if alert is None:
        return "This alert no longer exists."
    by = f"<@{alert.acknowledged_by}>" if alert.acknowledged_by else None
    if alert.state == ACKNOWLEDGED and by:
        return f"{by} already acknowledged this alert at {clock(alert.acknowledged_at)}."
    return f"This alert is already {alert.state}" + (f", acknowledged by {by}." if by else ".")


def register(registry: Registry) -> None:
    """Register /cluster, the card's buttons, the Home tab section and the alarm and EMR event routes."""
    deps = registry.kernel
    store, reader = AlertStore(deps.db), ClusterReader(deps.aws)
    outbox = Outbox(
        store,
        build_delivery_client(deps.settings),
        runbook_for=lambda alert: alert_route(deps, alert).runbook,
        chart_for=lambda alert: _chart(reader, alert),
        pacer=deps.pacer,
    )
    registry.worker(outbox)
    intake = Intake(deps, Lifecycle(deps.db), store, reader, outbox.kick)
    for source, detail_type in (*ALARM_FORMS, *EMR_FORMS):
        registry.on_event(source, detail_type, intake.handle)
    registry.command(router(command_handlers(deps, store, reader, outbox.kick)))
    _register_buttons(registry, store, reader, outbox)
    registry.home_section("Cluster alerts", lambda _user: _home(store))


def _chart(reader: ClusterReader, alert: Alert) -> Picture | None:
    if not alert.cluster_id:
        return None
    series = reader.metrics(alert.cluster_id, datetime.now(UTC))
    name = alert.cluster_name or alert.cluster_id
    drawn = render_chart(series, f"{name}: primaries, last 3 hours", alert.opened_at)
    if drawn is None:
        return None
    return Picture(drawn, alt_text(series, f"{name} ({alert.cluster_id})", utc(alert.opened_at)))


def _home(store: AlertStore) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return blocks.home_alerts(store.active_page(0, HOME_ALERTS), store.count_active(), store.silences(now), now)


def responder(store: AlertStore, deps: Kernel) -> Any:
    """Admins, and the on-call people of the alert's route, may acknowledge it."""

    def rule(access: Access, user_id: str, body: dict[str, Any]) -> Decision:
        if access.is_admin(user_id):
            return ALLOW
        ref = _ref(body)
        alert = store.get(ref.alert) if ref else None
        if alert is not None:
            oncall = alert_route(deps, alert).oncall
            if user_id in oncall.users or deps.groups.is_member(user_id, oncall.usergroups):
                return ALLOW
        return Decision(
            False, "Only the cluster's on-call people (clusters.oncall in the policy) or admins can do this."
        )

    return rule


def _register_buttons(registry: Registry, store: AlertStore, reader: ClusterReader, outbox: Outbox) -> None:
    deps = registry.kernel

    def alert_of(body: dict[str, Any], client: WebClient) -> Alert | None:
        ref = _ref(body)
        alert = store.get(ref.alert) if ref else None
        if alert is None:
            tell_user(client, body, ":warning: That alert no longer exists.")
        return alert

    def acknowledge(interaction: Interaction) -> None:
        """Acknowledge: escalation stops; the first click wins."""
        body, client = interaction.body, interaction.client
        alert = alert_of(body, client)
        if alert is None:
            return
        user, now = body["user"]["id"], datetime.now(UTC)
        if not store.acknowledge(alert.id, user, now):
            current = store.get(alert.id)
            tell_user(client, body, f":information_source: {_already(current)}")
            return
        store.note(alert, f":eyes: Acknowledged by <@{user}>.", now, bump=False)
        deps.audit.record(actor=user, action="failover.acknowledge", target=str(alert.id), result="ok")
        outbox.kick(alert.channel)

    registry.action(ids.ACKNOWLEDGE, responder(store, deps), acknowledge)

    def silence(action_id: str) -> Callable[..., None]:
        hours = ids.SILENCE_HOURS[action_id]

        def listener(interaction: Interaction) -> None:
            """Silence the alert's cluster for a fixed time."""
            body, client = interaction.body, interaction.client
            alert = alert_of(body, client)
            if alert is None:
                return
            user, now = body["user"]["id"], datetime.now(UTC)
            until = now + timedelta(hours=hours)
            target = silence_target(alert)
            store.silence(target, until, user, now)
            store.note(alert, f":zzz: Silenced for {hours} h (until {until:%H:%M} UTC) by <@{user}>.", now)
            deps.audit.record(
                actor=user, action="failover.silence", target=target, result="ok", detail={"hours": hours}
            )
            outbox.kick(alert.channel)

        listener.__name__ = f"silence_{hours}h"
        return listener

    for action_id in ids.SILENCES.values():
        registry.action(action_id, admin, silence(action_id))

    def instances(interaction: Interaction) -> None:
        """The primaries as EMR lists them now, to the clicker only."""
        body, client = interaction.body, interaction.client
        alert = alert_of(body, client)
        if alert is None or not alert.cluster_id:
            return
        info = reader.describe(alert.cluster_id)
        text = f"*Primaries of {info.name}* (now)\n{blocks.primaries_text(reader.primaries(info))}"
        _tell(client, body, f"Primaries of {info.name}", [section(text)])

    registry.action(ids.INSTANCES, anyone, instances)

    def open_card(interaction: Interaction) -> None:
        """A digest line's full card, with its buttons, to the clicker only."""
        body, client = interaction.body, interaction.client
        alert = alert_of(body, client)
        if alert is None:
            return
        now = datetime.now(UTC)
        until = store.silenced_until(silence_target(alert), now)
        # The chart as the card shows it: once the card's latest version is up, and not after Slack refused it
        # (a file Slack is still processing is refused, and the answer would be lost with it).
        shown = alert.chart_refusals < CHART_REFUSALS and alert.rendered_version >= alert.version
        view = blocks.card(alert, alert_route(deps, alert).runbook, until, now, with_chart=shown)
        _tell(client, body, blocks.card_text(alert), view)

    registry.action(ids.OPEN_CARD, anyone, open_card)

    def runbook(_interaction: Interaction) -> None:
        """A link button: Slack opens the URL and still sends the click, which needs an answer."""

    registry.action(ids.RUNBOOK, anyone, runbook)

    def turn_page(interaction: Interaction) -> None:
        """Another page of `/cluster alerts`, in place of the one clicked."""
        body, respond = interaction.body, interaction.respond
        state = ids.ALERTS_PAGES.state(ids.AlertsPage, body, "/cluster alerts")
        show_alerts(store, Window.at(state.offset, ALERTS_PAGE, store.count_active()), respond, replace=True)

    # Who may page is who may run `/cluster alerts`: its rule, not a second opinion.
    for action_id in ids.ALERTS_PAGES.action_ids:
        registry.action(action_id, router().form("alerts").rule, turn_page)
