"""Block Kit and text for /backup: status against the RPO, runs, drift, restore plans and alerts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.blockkit import context, section
from bot.wording import age, count, duration, when_ago
from handlers.backups import ids
from handlers.backups.catalog import KINDS, LABELS, counted
from handlers.backups.restore import ApplyResult
from handlers.backups.status import AMBER, GREEN, BackupStatus, Drift
from handlers.backups.store import BackupRun, RestorePlan, aware

DOTS = {GREEN: ":large_green_circle:", AMBER: ":large_orange_circle:", "red": ":red_circle:"}
HEALTHY = "ACTIVE"


def ago(delta: timedelta | None) -> str:
    """ "less than a minute", "3 min", "5 h 10 min", "2 days"."""
    return age(delta)


def when(moment: datetime | None) -> str:
    """A time to the minute with its zone and how far off it is, or "not scheduled"."""
    return when_ago(aware(moment), missing="not scheduled")


def rpo_line(status: BackupStatus) -> str:
    """The headline: colour, age, RPO."""
    rpo = ago(status.rpo)
    if status.last is None:
        return f"{DOTS['red']} *No complete backup yet* (RPO {rpo})"
    age_ = "just now" if status.age is not None and status.age < timedelta(minutes=1) else f"{ago(status.age)} ago"
    return f"{DOTS[status.colour]} Last complete backup *{age_}* (RPO {rpo}), run `{status.last.run_id}`"


def counts_line(run: BackupRun) -> str:
    """Per-kind counts of a run."""
    parts = []
    for kind in KINDS:
        tally = run.count_map.get(kind)
        if tally and (tally.get("read") or tally.get("tombstoned") or tally.get("errors")):
            parts.append(counted(kind, tally.get("read", 0)))
    return ", ".join(parts) or "nothing read"


def status_blocks(status: BackupStatus) -> list[dict[str, Any]]:
    """`/backup status`."""
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Catalog backups: {status.domain_id}"}},
        section(rpo_line(status)),
    ]
    facts = [f"*Next run*\n{when(status.next_run)}", f"*Table*\n`{status.table}`"]
    if status.last is not None:
        facts.append(f"*Last run backed up*\n{counts_line(status.last)}")
    if status.health is not None:
        facts.append(f"*Items in the table*\n{status.health.items:,} ({status.health.region}, {status.health.status})")
    blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in facts]})
    if status.running is not None:
        blocks.append(
            context(f":hourglass_flowing_sand: Run `{status.running.run_id}` ({status.running.mode}) is running.")
        )
    blocks.append(section("*Replicas*\n" + replica_lines(status)))
    if status.failures:
        lines = [f"• `{r.run_id}` {r.mode}: {r.status}, {failure_text(r)}" for r in status.failures]
        blocks.append(section("*Recent failures*\n" + "\n".join(lines)))
    return blocks


def replica_lines(status: BackupStatus) -> str:
    """One line per region: its status in describe_table and its own view of its copy."""
    if status.health is None:
        return f":warning: The table could not be described: {status.health_error}"
    if not status.health.replicas:
        return ":warning: No replicas: this is not a global table, so a regional outage loses the backup too."
    lines = []
    for replica in status.health.replicas:
        dot = ":white_check_mark:" if replica.status == HEALTHY and not replica.error else ":x:"
        line = f"{dot} {replica.region}: {replica.status}"
        if replica.description:
            line += f" ({replica.description})"
        if replica.error:
            line += f", does not answer: {replica.error}"
        elif replica.items is not None:
            latest = status.last.run_id if status.last else None
            lag = "" if replica.latest_run == latest or latest is None else f", holds run `{replica.latest_run}`"
            line += f", {count(replica.items, 'item')}{lag}"
        lines.append(line)
    return "\n".join(lines)


def failure_text(run: BackupRun) -> str:
    """Why a run failed, or how many entities it could not back up."""
    if run.failure:
        return run.failure[:300]
    errors = run.error_list
    if not errors:
        return "no errors"
    first = errors[0]
    more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
    head = f"{count(len(errors), 'entity', 'entities')} not backed up"
    return f"{head}: {first['kind'].lower()} `{first['id']}`: {first['error']}{more}"


def run_text(run: BackupRun) -> str:
    """The outcome of one run."""
    took = duration(run.duration) if run.duration is not None else "an unknown time"
    head = {"succeeded": ":white_check_mark:", "partial": ":warning:", "failed": ":x:", "abandoned": ":x:"}.get(
        run.status, ""
    )
    text = (
        f"{head} Backup `{run.run_id}` ({run.mode}) {run.status} in {took}: {counts_line(run)}; "
        f"{count(run.items_written, 'item')} in {count(run.write_calls, 'write call')}."
    )
    if run.status != "succeeded":
        text += f"\n{failure_text(run)}"
    return text


def history_blocks(runs: list[BackupRun]) -> list[dict[str, Any]]:
    """`/backup history [n]`."""
    if not runs:
        return [section("No backup runs yet.")]
    lines = []
    for run in runs:
        took = duration(run.duration) if run.duration is not None else "running"
        started = when_ago(aware(run.started_at))
        written = sum(t.get("written", 0) for t in run.count_map.values())
        tombstoned = sum(t.get("tombstoned", 0) for t in run.count_map.values())
        errors = sum(t.get("errors", 0) for t in run.count_map.values())
        if run.status == "abandoned":
            # Its process died mid-run: what it wrote is unknown, the next run rewrites what differs.
            lines.append(
                f"`{run.run_id}` {run.mode} by {run.trigger}: *abandoned*, {run.failure or ''}; started {started}"
            )
            continue
        lines.append(
            f"`{run.run_id}` {run.mode} by {run.trigger}: *{run.status}*, {took}, {written} written, "
            f"{tombstoned} tombstoned, {count(errors, 'error')}, {count(run.write_calls, 'write call')}; "
            f"started {started}"
        )
    return [section("*Backup runs, newest first*\n" + "\n".join(lines))]


def drift_blocks(drift: Drift) -> list[dict[str, Any]]:
    """`/backup verify`."""
    if drift.clean:
        text = (
            f":white_check_mark: The backup matches the catalog ({count(drift.checked, 'entity', 'entities')} checked)."
        )
        if drift.unreadable:
            could = "could not be read and was" if drift.unreadable == 1 else "could not be read and were"
            text += f" {count(drift.unreadable, 'entity', 'entities')} {could} not compared."
        return [section(text)]
    checked = count(drift.checked, "entity", "entities")
    blocks = [
        section(
            f":warning: Drift over {checked}: *{len(drift.missing)} missing* from the backup, "
            f"*{len(drift.stale)} stale*, *{len(drift.extra)} extra* (gone from the catalog). `/backup run` fixes it."
        )
    ]
    for title, items in (("Missing", drift.missing), ("Stale", drift.stale), ("Extra", drift.extra)):
        if items:
            shown = ", ".join(f"{i.kind.lower()} {i.name} (`{i.id}`)" for i in items[:10])
            more = f" and {len(items) - 10} more" if len(items) > 10 else ""
            blocks.append(section(f"*{title}*: {shown}{more}"))
    return blocks


def plan_lines(plan: RestorePlan) -> str:
    """kind: n to create, n to update, n unchanged."""
    summary = json.loads(plan.summary)
    lines = []
    for kind in KINDS:
        actions = summary.get(kind)
        if not actions:
            continue
        words = [
            f"{actions[a]} {w}"
            for a, w in (
                ("create", "to create"),
                ("update", "to update"),
                ("unchanged", "unchanged"),
                ("manual", "to grant again by hand"),
            )
            if actions.get(a)
        ]
        lines.append(f"• {LABELS[kind]}: {', '.join(words)}")
    return "\n".join(lines)


def plan_changes(plan: RestorePlan) -> int:
    """How many entities the plan creates or updates."""
    summary = json.loads(plan.summary)
    return sum(actions.get("create", 0) + actions.get("update", 0) for actions in summary.values())


def plan_blocks(plan: RestorePlan, confirm: bool) -> list[dict[str, Any]]:
    """A plan's summary; with `confirm`, the Apply and Cancel buttons."""
    blocks = [
        section(
            f"*Restore plan `{plan.plan_id}`*: backup of `{plan.source_domain_id}` into `{plan.target_domain_id}`, "
            f"in dependency order.\n{plan_lines(plan)}"
        )
    ]
    if plan_changes(plan) == 0:
        blocks.append(context("The target already matches the backup: applying changes nothing."))
    if confirm:
        value = ids.PlanRef(plan=plan.plan_id).model_dump_json()
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.APPLY_PLAN,
                        "style": "danger",
                        "text": {"type": "plain_text", "text": "Apply"},
                        "value": value,
                    },
                    {
                        "type": "button",
                        "action_id": ids.CANCEL,
                        "text": {"type": "plain_text", "text": "Cancel"},
                        "value": value,
                    },
                ],
            }
        )
    else:
        blocks.append(context(f"Apply it with `/backup restore apply {plan.plan_id}` (admins)."))
    return blocks


def applied_text(plan_id: str, target: str, result: ApplyResult) -> str:
    """The outcome of applying a plan, with the measured RTO."""
    head = ":white_check_mark:" if not result.failed else ":warning:"
    text = (
        f"{head} Restore `{plan_id}` into `{target}`: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged. *RTO {duration(result.seconds)}*."
    )
    if result.failed:
        first = result.failed[0]
        text += f"\n{len(result.failed)} failed, first {first['kind'].lower()} `{first['key']}`: {first['error']}"
    return text


def alert_run(run: BackupRun) -> str:
    """The admins' alert for a failed (or partly failed) run."""
    head = f":rotating_light: Catalog backup `{run.run_id}` ({run.mode}, {run.domain_id}) {run.status}"
    return f"{head}: {failure_text(run)}"


def alert_rpo(status: BackupStatus) -> str:
    """The admins' alert for a breached RPO."""
    age = f"{ago(status.age)} old" if status.last else "missing"
    head = f":rotating_light: Catalog backup of `{status.domain_id}` breaches its RPO of {ago(status.rpo)}"
    return f"{head}: the last complete backup is {age}."


def home_blocks(status: BackupStatus) -> list[dict[str, Any]]:
    """The Home tab section."""
    lines = [rpo_line(status), f"Next run: {when(status.next_run)}"]
    if status.health is not None:
        bad = [r.region for r in status.health.replicas if r.status != HEALTHY or r.error]
        lines.append(
            f"Replicas: {', '.join(bad)} unhealthy" if bad else f"Replicas: {len(status.health.replicas)} healthy"
        )
    if status.failures:
        lines.append(f"Recent failure: `{status.failures[0].run_id}` {status.failures[0].status}")
    return [section("\n".join(lines))]
