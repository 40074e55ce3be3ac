"""Block Kit for failover alerts: the card, the digest of a burst, status and alert lists."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.blockkit import IMAGE_ALT_TEXT, button, context, section, truncate
from bot.db import utc
from bot.paging import Window
from bot.wording import age, clock, count, times
from handlers.failover import ids
from handlers.failover.models import ACKNOWLEDGED, OPEN, RESOLVED, Alert, ClusterEvent

if TYPE_CHECKING:
    from handlers.failover.cluster_info import ClusterInfo

MEANING = {
    "primary_lost": "One primary node was lost. EMR fails over to a standby and launches a replacement with the "
    "same private IP and DNS name; the cluster keeps working. Act only if the replacement does not come up.",
    "quorum_lost": "Fewer than half the primary nodes run: *quorum is lost* and EMR cannot recover by itself. "
    "Manual recovery is needed now: follow the runbook.",
    "cluster_down": "The cluster terminated with errors. Check the cluster's state change reason and restart "
    "its workloads elsewhere.",
    "other": "An alarm on this cluster fired.",
}
HEADLINE = {
    "primary_lost": "one primary lost, being replaced",
    "quorum_lost": "quorum lost, manual recovery needed",
    "cluster_down": "cluster terminated with errors",
    "other": "alarm",
}
NO_CLUSTER = "This alarm names no EMR cluster opsbot can look up, so it is shown as CloudWatch sent it."
# A digest lists at most this many alerts; Slack allows 50 blocks a message.
MAX_DIGEST_LINES = 20


def _hhmm(value: datetime | None) -> str:
    return clock(value)


# The key of an alert whose alarm names no cluster: account/region/alarm:<name> (see handlers.failover.signals).
_ALARM_KEY = re.compile(r"^(\d{12})/([a-z0-9-]+)/alarm:(.+)$")


def cluster_label(alert: Alert) -> str:
    """`name` (`j-…`), or the alarm and where it lives for alerts without a cluster."""
    if alert.cluster_id:
        return f"{alert.cluster_name or alert.cluster_id} (`{alert.cluster_id}`)"
    origin = _ALARM_KEY.match(alert.key)
    if origin:
        account, region, name = origin.groups()
        return f"alarm `{name}` ({region}, account {account})"
    return alert.key.removeprefix("alarm:")


def state_line(alert: Alert, silenced_until: datetime | None, now: datetime) -> str:
    """Open, acknowledged, resolved (with duration), and silenced."""
    if alert.state == RESOLVED:
        lasted = utc(alert.resolved_at) - utc(alert.opened_at)  # type: ignore[operator]
        text = f":white_check_mark: Resolved at {_hhmm(alert.resolved_at)} after {age(lasted)}"
    elif alert.state == ACKNOWLEDGED:
        text = f":eyes: Acknowledged by <@{alert.acknowledged_by}> at {_hhmm(alert.acknowledged_at)}"
    else:
        text = ":red_circle: Open"
        if alert.escalated_at:
            text += f", escalated at {_hhmm(alert.escalated_at)}"
    if silenced_until and alert.state != RESOLVED:
        text += f" · :zzz: silenced until {_hhmm(silenced_until)}"
    return text


def _fired(alert: Alert) -> list[str]:
    fields = []
    alarm = alert.facts.get("alarm")
    if alarm:
        reading = ""
        if alarm.get("value") is not None and alarm.get("threshold") is not None:
            reading = f"\n{alarm['value']:g} vs threshold {alarm['threshold']:g}"
            reading += f" ({alarm['comparison']})" if alarm.get("comparison") else ""
        fields.append(f"*Alarm*\n`{alarm.get('alarm_name')}` {alarm.get('state')}{reading}")
        if alarm.get("metric"):
            fields.append(f"*Metric*\n{alarm['metric']}")
    emr = alert.facts.get("emr")
    if emr:
        counts = f" ({emr['running']} of {emr['requested']} running)" if emr.get("requested") else ""
        what = emr.get("reporter", "").removeprefix("emr:").replace(":", " ")
        fields.append(f"*EMR*\n{what} {emr.get('state')}{counts}")
    counts = []
    if alert.repeats:
        counts.append(f"repeated {times(alert.repeats)}")
    if alert.flaps:
        counts.append(f"flapping: reopened {times(alert.flaps)}")
    if counts:
        fields.append("*Noise*\n" + ", ".join(counts))
    return fields


def primaries_text(primaries: list[dict[str, Any]] | None) -> str:
    """One line per primary: id, state, private DNS, and when and by what it was replaced."""
    if not primaries:
        return "_No primary instances known._"
    lines = []
    for p in primaries:
        line = f"`{p['id']}` {p['state']} · {p.get('dns') or p.get('ip') or '?'}"
        if p.get("replaced_at"):
            stamp = datetime.fromisoformat(p["replaced_at"])
            line = f"~{line}~ replaced at {_hhmm(stamp)} by `{p.get('replaced_by')}`"
        lines.append(line)
    return "\n".join(lines)


def _buttons(alert: Alert, runbook: str | None) -> dict[str, Any]:
    value = ids.AlertRef(alert=alert.id).model_dump_json()
    elements: list[dict[str, Any]] = []
    if alert.state != RESOLVED:
        if alert.state != ACKNOWLEDGED:
            elements.append(button(ids.ACKNOWLEDGE, "Acknowledge", value, style="primary"))
        elements += [button(action, f"Silence {label}", value) for label, action in ids.SILENCES.items()]
    elements.append(button(ids.INSTANCES, "Show instances", value))
    if runbook:
        elements.append({**button(ids.RUNBOOK, "Runbook", value), "url": runbook})
    return {"type": "actions", "block_id": f"alert-{alert.id}", "elements": elements}


def chart_image(alert: Alert) -> dict[str, Any] | None:
    """The uploaded MultiMaster chart as an image block, by its Slack file id; None before it is uploaded."""
    if not alert.chart_file:
        return None
    return {
        "type": "image",
        "slack_file": {"id": alert.chart_file},
        "alt_text": truncate(alert.chart_alt or f"MultiMaster chart of {cluster_label(alert)}", IMAGE_ALT_TEXT),
    }


def card(
    alert: Alert,
    runbook: str | None,
    silenced_until: datetime | None,
    now: datetime,
    *,
    with_chart: bool = True,
) -> list[dict[str, Any]]:
    """The incident card: what, what it means, the primaries, the chart once uploaded, and what to do."""
    name = alert.cluster_name or alert.cluster_id or alert.key.removeprefix("alarm:")
    headline = HEADLINE[alert.severity] if alert.state != RESOLVED else f"resolved ({HEADLINE[alert.severity]})"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{name}: {headline}"[:150]}},
        section(state_line(alert, silenced_until, now)),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": t[:2000]} for t in [f"*Cluster*\n{cluster_label(alert)}", *_fired(alert)]
            ][:10],
        },
        section(MEANING[alert.severity] if alert.cluster_id else NO_CLUSTER),
    ]
    if alert.cluster_id:
        blocks.append(section(f"*Primaries*\n{primaries_text(alert.primaries)}"))
    image = chart_image(alert) if with_chart else None
    if image is not None:
        blocks.append(image)
    footer = f"Alert {alert.id} · opened {_hhmm(alert.opened_at)} · updated {_hhmm(alert.updated_at)}"
    # Only an open alert nobody silenced still escalates: acknowledging or silencing stops the page.
    if alert.state == OPEN and not silenced_until and not alert.escalated_at and alert.escalate_at:
        footer += f" · escalates at {_hhmm(alert.escalate_at)} unless acknowledged"
    blocks += [context(footer), _buttons(alert, runbook)]
    return blocks


def card_text(alert: Alert) -> str:
    """The notification text of a card (what phones and screen readers show)."""
    name = alert.cluster_name or alert.cluster_id or alert.key
    return f"{name}: {HEADLINE[alert.severity]} ({alert.state})"


def digest(alerts: list[Alert], silences: dict[str, datetime], now: datetime) -> list[dict[str, Any]]:
    """Many new alerts in one channel at once: one message, a line each, a button to open each card."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{count(len(alerts), 'cluster alert')} at once"}},
        context("Posted as one message to stay within Slack's rate limits. Open a line for its card and buttons."),
    ]
    for alert in alerts[:MAX_DIGEST_LINES]:
        until = silences.get(alert.cluster_id or alert.key)
        line = f"*{cluster_label(alert)}*: {HEADLINE[alert.severity]}\n{state_line(alert, until, now)}"
        blocks.append(
            {
                **section(line),
                "accessory": button(ids.OPEN_CARD, "Open", ids.AlertRef(alert=alert.id).model_dump_json()),
            }
        )
    if len(alerts) > MAX_DIGEST_LINES:
        hidden = len(alerts) - MAX_DIGEST_LINES
        # A digest's alerts may have resolved since; `/cluster alerts` pages through every one still open.
        blocks.append(context(f"and {hidden} more: `/cluster alerts` pages through every open alert"))
    return blocks


def _alert_line(alert: Alert, silences: dict[str, datetime], now: datetime) -> str:
    until = silences.get(alert.cluster_id or alert.key)
    return f"*{cluster_label(alert)}*: {HEADLINE[alert.severity]} · {state_line(alert, until, now)} · alert {alert.id}"


def alert_list(alerts: list[Alert], silences: dict[str, datetime], now: datetime, window: Window) -> list[dict]:
    """A page of open alerts, newest first, one line each: which page it is, and buttons to the pages either side."""
    if not alerts:
        return [section("No open cluster alerts.")]
    out = [
        section(f"*Open cluster alerts*: {window.label()}, newest first"),
        *(section(_alert_line(alert, silences, now)) for alert in alerts),
    ]
    buttons = ids.ALERTS_PAGES.block(window, lambda offset: ids.AlertsPage(offset=offset))
    return [*out, buttons] if buttons else out


def alert_list_text(total: int) -> str:
    """The notification text of a page of open alerts."""
    return count(total, "open cluster alert")


def home_alerts(alerts: list[Alert], total: int, silences: dict[str, datetime], now: datetime) -> list[dict]:
    """The Home tab's newest open alerts; the rest counted, and where to page through them."""
    if not alerts:
        return [section("No open cluster alerts.")]
    out = [section(_alert_line(alert, silences, now)) for alert in alerts]
    if total > len(alerts):
        out.append(context(f"and {total - len(alerts)} more: `/cluster alerts` pages through them all"))
    return out


def status(
    info: ClusterInfo,
    primaries: list[dict[str, Any]],
    alarms: list[dict[str, Any]],
    events: list[ClusterEvent],
    silenced_until: datetime | None,
) -> list[dict[str, Any]]:
    """`/cluster status`: state, primaries, alarms, recent events."""
    alarm_lines = [
        f"`{a['name']}` {a['state']} ({a['metric']} {a.get('comparison') or ''} {a.get('threshold')})" for a in alarms
    ] or ["_No alarms on the MultiMaster metrics: `/cluster watch` creates the recommended ones._"]
    event_lines = [f"{_hhmm(e.at)} {e.summary}" for e in events] or ["_Nothing recorded yet._"]
    state = f"*State* {info.state} · {info.collection.replace('_', ' ').lower()}"
    if silenced_until:
        state += f" · :zzz: silenced until {_hhmm(silenced_until)}"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"{info.name} ({info.cluster_id})"[:150]}},
        section(state),
        section(f"*Primaries*\n{primaries_text(primaries)}"),
        section("*Alarms*\n" + "\n".join(alarm_lines)),
        section("*Recent events*\n" + "\n".join(event_lines)),
    ]
