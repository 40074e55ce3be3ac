"""Slack side of /backup: status, run (queued; progress in a thread), history, verify, restore plan and apply."""

from __future__ import annotations

from functools import partial
from typing import Any

import structlog

from bot.authz import admin, anyone
from bot.blockkit import FILE_ALT_TEXT, truncate
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput
from bot.inbox import datazone_events
from bot.inbox.envelope import InboundEvent
from bot.registry import Interaction, Registry
from bot.replies import upload_to_dm
from bot.wording import count
from handlers.backups import age_chart, alerts, blocks, ids, queued
from handlers.backups.alerts import Alerts
from handlers.backups.arguments import HistoryArgs, parse_restore
from handlers.backups.events import API_CALLS, SERVICE_EVENTS, entity_of
from handlers.backups.service import BackupService
from scheduler.jobs import Jobs

log = structlog.get_logger(__name__)


FORMS = [
    ("status", "age of the last backup against the RPO, next run, replicas, failures", anyone, ""),
    ("run", "queue a full backup now (progress in a thread)", admin, ""),
    ("history", "the last n runs (10 unless you say)", anyone, "[n]"),
    ("verify", "drift between the live catalog and the backup: missing, stale, extra", admin, ""),
    (
        "restore",
        "plan a restore into a domain, then apply the plan (asks to confirm)",
        admin,
        "plan [<target-domain-id>] [region=<region>] | apply <plan-id>",
    ),
]


def router(handlers: dict[str, Handler] | None = None) -> CommandRouter:
    """/backup and its forms; the handlers are bound to the service at registration."""
    bound = handlers or {}
    return CommandRouter(
        command="/backup",
        summary="catalog metadata backups against the RPO",
        default="status",
        subcommands=[
            Subcommand(name, summary, rule, args, handler=bound.get(name)) for name, summary, rule, args in FORMS
        ],
    )


ROUTER = router()


AGE_CHART_SENT = "A chart of the backup's age against the RPO over the last 7 days is in your DM with opsbot."


def _send_age_chart(invocation: Invocation, service: BackupService) -> bool:
    """The age chart, to the asker's DM only: the answer was private, so its picture is too. True once sent.

    A nicety: if it cannot be drawn or sent, the history answer goes out as before.
    """
    try:
        picture = age_chart.render(service.age_history(), service.domain())
        if picture is None:
            return False  # no complete run: nothing to draw, and the history says so
        upload_to_dm(
            invocation.client,
            invocation.command.user_id,
            file=picture.png,
            filename="backup-age.png",
            title="Catalog backup age against the RPO, last 7 days",
            alt_txt=truncate(picture.alt_text, FILE_ALT_TEXT),
            # The picture's summary in words too, for whoever reads the DM rather than looks at it.
            initial_comment=picture.alt_text,
        )
    except Exception:
        log.warning("backup_age_chart_failed", exc_info=True)
        return False
    return True


def status(service: BackupService, invocation: Invocation) -> None:
    """Where backups stand."""
    if invocation.args.strip():
        raise BadInput("`status` takes no arguments.\nUsage: `/backup [status]`")
    found = service.status()
    invocation.respond(response_type="ephemeral", text=blocks.rpo_line(found), blocks=blocks.status_blocks(found))


def run(service: BackupService, jobs: Jobs, invocation: Invocation) -> None:
    """A full run, queued on the scheduler; its progress follows in a thread under a message in the channel."""
    if invocation.args.strip():
        raise BadInput("`run` takes no arguments.\nUsage: `/backup run`")
    user = invocation.command.user_id
    queued.queue_run(service, jobs, user, invocation.command.channel_id or user)
    invocation.respond(response_type="ephemeral", text=queued.QUEUED_RUN)


def history(service: BackupService, invocation: Invocation) -> None:
    """The newest runs, and the backup's age against the RPO over the week as a chart in the asker's DM."""
    args = HistoryArgs.parse(invocation.args)
    runs = service.history(args.n)
    answer = blocks.history_blocks(runs)
    if _send_age_chart(invocation, service):
        answer.append({"type": "context", "elements": [{"type": "mrkdwn", "text": AGE_CHART_SENT}]})
    invocation.respond(response_type="ephemeral", text=count(len(runs), "backup run"), blocks=answer)


def verify(service: BackupService, invocation: Invocation) -> None:
    """Drift between catalog and backup."""
    if invocation.args.strip():
        raise BadInput("`verify` takes no arguments.\nUsage: `/backup verify`")
    invocation.respond(response_type="ephemeral", text="Comparing the catalog with the backup…")
    found = service.verify()
    summary = f"{len(found.missing)} missing, {len(found.stale)} stale, {len(found.extra)} extra"
    invocation.respond(response_type="ephemeral", text=summary, blocks=blocks.drift_blocks(found))


def restore(service: BackupService, invocation: Invocation) -> None:
    """`restore plan [...]` shows the plan; `restore apply <plan-id>` asks to confirm."""
    args = parse_restore(invocation.args)
    user = invocation.command.user_id
    if args.action == "plan":
        plan = service.plan(args.target, user, args.region)
        # The plan is the confirm step: its summary, then Apply and Cancel.
        invocation.respond(
            response_type="ephemeral",
            text=f"Restore plan {plan.plan_id}",
            blocks=blocks.plan_blocks(plan, confirm=blocks.plan_changes(plan) > 0),
        )
        return
    plan = service.get_plan_now(args.plan_id or "")
    # An abandoned apply (its process died) may be applied again: every step is idempotent.
    if plan.status not in ("planned", "abandoned"):
        raise BadInput(f"Plan `{plan.plan_id}` is {plan.status}; make a new plan to restore again.")
    invocation.respond(
        response_type="ephemeral",
        text=f"Apply restore plan {plan.plan_id} to {plan.target_domain_id}?",
        blocks=blocks.plan_blocks(plan, confirm=True),
    )


def apply_plan(service: BackupService, jobs: Jobs, interaction: Interaction) -> None:
    """The admin confirmed: queue the plan's apply on the scheduler; progress in a thread, RTO at the end."""
    ref = ids.PlanRef.model_validate_json(interaction.body["actions"][0]["value"])
    user = interaction.user_id
    channel = (interaction.body.get("channel") or {}).get("id") or user
    target = queued.queue_restore(service, jobs, ref.plan, user, channel)
    interaction.respond(
        replace_original=True,
        text=f"Restore plan `{ref.plan}` into `{target}` is queued; its progress will follow in a thread here.",
    )


def cancel(interaction: Interaction) -> None:
    """Drop the confirm prompt."""
    interaction.respond(delete_original=True)


def on_catalog_event(service: BackupService, admins: Alerts, event: InboundEvent) -> None:
    """Back up the entity an event touched, within seconds of the change."""
    found = entity_of(event)
    if found is None or not service.configured:
        return
    kind, ref = found
    if ref.domain != service.settings.datazone_domain_id:
        return
    outcome, finished = service.back_up_entity(ref.domain, kind, ref.id, f"event:{event.event_id}"[:64])
    log.info("backup_event", kind=kind, entity=ref.id, outcome=outcome, run_id=finished.run_id)
    alerts.run_finished(admins, finished)


def home(service: BackupService, _user_id: str) -> list[dict[str, Any]]:
    """RPO colour, next run, replicas."""
    if not service.configured:
        return []
    return blocks.home_blocks(service.status())


def register(registry: Registry) -> None:
    """Register /backup, the restore confirm buttons, catalog events and the Home section."""
    kernel = registry.kernel
    service = BackupService.of(kernel)
    forms: dict[str, Handler] = {
        "status": partial(status, service),
        "run": partial(run, service, kernel.jobs),
        "history": partial(history, service),
        "verify": partial(verify, service),
        "restore": partial(restore, service),
    }
    registry.command(router(forms))
    registry.action(ids.APPLY_PLAN, admin, partial(apply_plan, service, kernel.jobs))
    registry.action(ids.CANCEL, anyone, cancel)
    backed_up = partial(on_catalog_event, service, Alerts.of(kernel, service.store))
    for detail_type in SERVICE_EVENTS:
        registry.on_event(datazone_events.SOURCE, datazone_events.service_event(detail_type), backed_up)
    for event_name in API_CALLS:
        registry.on_api_call(datazone_events.SOURCE, datazone_events.api_call(event_name), backed_up)
    registry.home_section("Catalog backups", partial(home, service))
