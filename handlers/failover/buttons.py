"""The alert card's buttons (acknowledge, silence, primaries, full card, runbook) and `/cluster alerts` paging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.authz import ALLOW, Access, Decision
from bot.blockkit import section
from bot.paging import Window
from bot.registry import Interaction
from bot.replies import channel_of, response_url_failure, tell_user, user_of
from bot.wording import clock
from handlers.failover import blocks, ids
from handlers.failover.commands import ALERTS_PAGE, show_alerts
from handlers.failover.models import ACKNOWLEDGED, Alert
from handlers.failover.outbox import CHART_REFUSALS
from handlers.failover.store import AlertStore, silence_target
from handlers.failover.wiring import Failover

log = structlog.get_logger(__name__)

Kick = Callable[[str | None], None]
"""Wakes the card sender for a channel, so the card shows the change now rather than at its next poll."""


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


def _alert_of(store: AlertStore, interaction: Interaction) -> Alert | None:
    """The alert the clicked button names; None, and the clicker told, if it no longer exists."""
    ref = _ref(interaction.body)
    alert = store.get(ref.alert) if ref else None
    if alert is None:
        tell_user(interaction.client, interaction.body, ":warning: That alert no longer exists.")
    return alert


def may_respond(failover: Failover, access: Access, user_id: str, body: dict[str, Any]) -> Decision:
    """Admins, and the on-call people of the alert's route, may acknowledge it."""
    if access.is_admin(user_id):
        return ALLOW
    ref = _ref(body)
    alert = failover.store.get(ref.alert) if ref else None
    if alert is not None:
        oncall = failover.routes.for_alert(alert).oncall
        if user_id in oncall.users or failover.groups.is_member(user_id, oncall.usergroups):
            return ALLOW
    return Decision(False, "Only the cluster's on-call people (clusters.oncall in the policy) or admins can do this.")


def acknowledge(failover: Failover, kick: Kick, interaction: Interaction) -> None:
    """Acknowledge: escalation stops; the first click wins."""
    store = failover.store
    alert = _alert_of(store, interaction)
    if alert is None:
        return
    user, now = interaction.user_id, datetime.now(UTC)
    if not store.acknowledge(alert.id, user, now):
        current = store.get(alert.id)
        tell_user(interaction.client, interaction.body, f":information_source: {_already(current)}")
        return
    store.note(alert, f":eyes: Acknowledged by <@{user}>.", now, bump=False)
    failover.audit.record(actor=user, action="failover.acknowledge", target=str(alert.id), result="ok")
    kick(alert.channel)


def silence(failover: Failover, kick: Kick, hours: int, interaction: Interaction) -> None:
    """Silence the alert's cluster for a fixed time (the button's `hours`)."""
    store = failover.store
    alert = _alert_of(store, interaction)
    if alert is None:
        return
    user, now = interaction.user_id, datetime.now(UTC)
    until = now + timedelta(hours=hours)
    target = silence_target(alert)
    store.silence(target, until, user, now)
    store.note(alert, f":zzz: Silenced for {hours} h (until {until:%H:%M} UTC) by <@{user}>.", now)
    failover.audit.record(actor=user, action="failover.silence", target=target, result="ok", detail={"hours": hours})
    kick(alert.channel)


def instances(failover: Failover, interaction: Interaction) -> None:
    """The primaries as EMR lists them now, to the clicker only."""
    alert = _alert_of(failover.store, interaction)
    if alert is None or not alert.cluster_id:
        return
    reader = failover.reader
    info = reader.describe(alert.cluster_id)
    text = f"*Primaries of {info.name}* (now)\n{blocks.primaries_text(reader.primaries(info))}"
    _tell(interaction.client, interaction.body, f"Primaries of {info.name}", [section(text)])


def open_card(failover: Failover, interaction: Interaction) -> None:
    """A digest line's full card, with its buttons, to the clicker only."""
    store = failover.store
    alert = _alert_of(store, interaction)
    if alert is None:
        return
    now = datetime.now(UTC)
    until = store.silenced_until(silence_target(alert), now)
    # The chart as the card shows it: once the card's latest version is up, and not after Slack refused it
    # (a file Slack is still processing is refused, and the answer would be lost with it).
    shown = alert.chart_refusals < CHART_REFUSALS and alert.rendered_version >= alert.version
    view = blocks.card(alert, failover.routes.runbook(alert), until, now, with_chart=shown)
    _tell(interaction.client, interaction.body, blocks.card_text(alert), view)


def runbook(_interaction: Interaction) -> None:
    """A link button: Slack opens the URL and still sends the click, which needs an answer."""


def turn_page(store: AlertStore, interaction: Interaction) -> None:
    """Another page of `/cluster alerts`, in place of the one clicked."""
    state = ids.ALERTS_PAGES.state(ids.AlertsPage, interaction.body, "/cluster alerts")
    window = Window.at(state.offset, ALERTS_PAGE, store.count_active())
    show_alerts(store, window, interaction.respond, replace=True)
