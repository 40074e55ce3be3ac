"""/cluster: status, alerts, watch, unwatch, silence; every argument validated before anything reaches AWS."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from pydantic import BaseModel, Field, ValidationError
from slack_bolt import Respond

from bot.authz import admin, anyone
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput
from bot.paging import Window, take_page
from bot.wording import age, when
from handlers.failover import alarms, blocks
from handlers.failover.store import AlertStore
from handlers.failover.wiring import Failover

MAX_SILENCE = timedelta(days=7)
# Thirty one-line sections, the page's heading and its buttons stay well inside Slack's 50 blocks.
ALERTS_PAGE = 30
ALERTS_USAGE = "/cluster alerts [page=N]"
_DURATION = re.compile(r"^(\d{1,5})(m|min|h|d)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}


class ClusterArg(BaseModel):
    """A cluster id (j-…) or name, as EMR allows names: no backticks, angle brackets, $ or |."""

    cluster: str = Field(pattern=r"^[^`<>$|\n\r\t]{1,256}$")


def parse_cluster(args: str, usage: str) -> str:
    """The one argument of status, watch and unwatch."""
    try:
        return ClusterArg(cluster=args.strip()).cluster
    except ValidationError:
        raise BadInput(f"Give a cluster id (j-…) or name: `{usage}`.") from None


def parse_duration(text: str) -> timedelta | None:
    """`30m`, `4h`, `1d` (up to 7 days); `off` is None."""
    word = text.strip().lower()
    if word == "off":
        return None
    match = _DURATION.fullmatch(word)
    if not match:
        raise BadInput("Give a duration such as `30m`, `4h` or `1d` (at most 7 days), or `off`.")
    duration = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if not timedelta(minutes=1) <= duration <= MAX_SILENCE:
        raise BadInput("A silence lasts from 1 minute to 7 days.")
    return duration


def _label(typed: str, cluster_id: str) -> str:
    """The cluster as the user named it, with its id when they gave the name."""
    return cluster_id if typed == cluster_id else f"{typed} ({cluster_id})"


def router(handlers: dict[str, Handler] | None = None) -> CommandRouter:
    """/cluster and its forms; the handlers are bound to the capability's ports at registration."""
    bound = handlers or {}
    return CommandRouter(
        command="/cluster",
        summary="EMR primary-node failover alerts",
        subcommands=[
            Subcommand(
                "status", "state, primaries, alarms and recent events", anyone, "<cluster>", bound.get("status")
            ),
            Subcommand(
                "alerts", "open alerts, newest first, a page at a time", anyone, "[page=N]", bound.get("alerts")
            ),
            Subcommand("watch", "create the recommended MultiMaster alarms", admin, "<cluster>", bound.get("watch")),
            Subcommand("unwatch", "delete the alarms opsbot created", admin, "<cluster>", bound.get("unwatch")),
            Subcommand(
                "silence",
                "mute a cluster's alerts for a while (`off` ends it)",
                admin,
                "<cluster> <duration>",
                bound.get("silence"),
            ),
        ],
    )


def show_alerts(store: AlertStore, window: Window, respond: Respond, *, replace: bool) -> None:
    """One page of open alerts, as the command's reply or in place of the page whose button was pressed."""
    now = datetime.now(UTC)
    alerts = store.active_page(window.offset, window.size)
    respond(
        response_type="ephemeral",
        replace_original=replace,
        text=blocks.alert_list_text(window.total),
        blocks=blocks.alert_list(alerts, store.silences(now), now, window),
    )


def status(failover: Failover, invocation: Invocation) -> None:
    """State, primaries, alarms and recent events of one cluster."""
    reader, store = failover.reader, failover.store
    cluster_id = reader.resolve(parse_cluster(invocation.args, "/cluster status <cluster>"))
    info = reader.describe(cluster_id)
    now = datetime.now(UTC)
    view = blocks.status(
        info,
        reader.primaries(info),
        reader.alarms(cluster_id),
        store.events(cluster_id),
        store.silenced_until(cluster_id, now),
    )
    invocation.respond(response_type="ephemeral", text=f"Cluster {info.name}", blocks=view)


def alerts(failover: Failover, invocation: Invocation) -> None:
    """Open alerts across clusters, a page at a time."""
    rest, number = take_page(invocation.args, ALERTS_USAGE)
    if rest:
        raise BadInput(f"`/cluster alerts` takes only a page number.\nUsage: `{ALERTS_USAGE}`")
    store = failover.store
    window = Window.numbered(
        number, ALERTS_PAGE, store.count_active(), command="/cluster alerts", noun=("open alert", "open alerts")
    )
    show_alerts(store, window, invocation.respond, replace=False)


def watch(failover: Failover, invocation: Invocation) -> None:
    """Create the recommended alarms, once."""
    topic = failover.alarm_topic
    if not topic:
        raise BadInput("opsbot has no alarm topic yet: an admin sets OPSBOT_ALARM_TOPIC_ARN.")
    cluster_id = failover.reader.resolve(parse_cluster(invocation.args, "/cluster watch <cluster>"))
    info = failover.reader.describe(cluster_id)
    created, present = alarms.watch(failover.aws.client("cloudwatch"), cluster_id, topic)
    failover.audit.record(
        actor=invocation.command.user_id,
        action="failover.watch",
        target=cluster_id,
        result="ok",
        detail={"created": created, "present": present},
    )
    lines = [f"Created `{name}`." for name in created] + [f"`{name}` was already there." for name in present]
    invocation.respond(
        response_type="ephemeral",
        text=f"Watching {info.name} ({cluster_id}): "
        + " ".join(lines)
        + f" Missing data counts as {alarms.MISSING_DATA}: a cluster that cannot report alarms.",
    )


def unwatch(failover: Failover, invocation: Invocation) -> None:
    """Delete the alarms watch created."""
    typed = parse_cluster(invocation.args, "/cluster unwatch <cluster>")
    cluster_id = failover.reader.resolve(typed)
    deleted = alarms.unwatch(failover.aws.client("cloudwatch"), cluster_id)
    failover.audit.record(
        actor=invocation.command.user_id,
        action="failover.unwatch",
        target=cluster_id,
        result="ok",
        detail={"deleted": deleted},
    )
    text = f"Deleted {', '.join(f'`{n}`' for n in deleted)}." if deleted else "opsbot had no alarms on it."
    invocation.respond(response_type="ephemeral", text=f"{_label(typed, cluster_id)}: {text}")


def silence(failover: Failover, kick: Callable[[str | None], None], invocation: Invocation) -> None:
    """Mute a cluster's alerts until a time, or end the silence."""
    cluster, _, duration_text = invocation.args.strip().rpartition(" ")
    if not cluster:
        raise BadInput("Give a cluster and a duration: `/cluster silence <cluster> <duration>`.")
    duration = parse_duration(duration_text)
    typed = parse_cluster(cluster, "/cluster silence <cluster> <duration>")
    cluster_id = failover.reader.resolve(typed)
    label, store = _label(typed, cluster_id), failover.store
    user, now = invocation.command.user_id, datetime.now(UTC)
    if duration is None:
        ended = store.unsilence(cluster_id)
        text = f"{label} is no longer silenced." if ended else f"{label} was not silenced."
    else:
        until = now + duration
        store.silence(cluster_id, until, user, now)
        text = f"{label} is silenced until {when(until)} (for {age(duration)})."
    for alert in store.active(cluster_id):
        store.note(alert, f":zzz: {text} (<@{user}>)", now, bump=False)
        kick(alert.channel)
    failover.audit.record(
        actor=user, action="failover.silence", target=cluster_id, result="ok", detail={"duration": duration_text}
    )
    invocation.respond(response_type="ephemeral", text=text)


def command_handlers(failover: Failover, kick: Callable[[str | None], None]) -> dict[str, Handler]:
    """The /cluster forms bound to the capability's ports and to the card sender's wake-up."""
    return {
        "status": partial(status, failover),
        "alerts": partial(alerts, failover),
        "watch": partial(watch, failover),
        "unwatch": partial(unwatch, failover),
        "silence": partial(silence, failover, kick),
    }
