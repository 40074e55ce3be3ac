"""Slack side of /backup: status, run (progress in a thread), history, verify, restore plan and apply."""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from bot.authz import admin, anyone
from bot.blockkit import FILE_ALT_TEXT, truncate
from bot.commands import CommandRouter, Handler, Invocation, Subcommand
from bot.errors import BadInput
from bot.inbox import datazone_events
from bot.inbox.envelope import InboundEvent
from bot.kernel import Messages
from bot.outbox import message
from bot.registry import Interaction, Registry
from bot.replies import upload_to_dm
from bot.wording import count
from handlers.backups import age_chart, alerts, blocks, ids
from handlers.backups.arguments import HistoryArgs, parse_restore
from handlers.backups.engine import FULL
from handlers.backups.events import API_CALLS, SERVICE_EVENTS, entity_of
from handlers.backups.service import BackupService

log = structlog.get_logger(__name__)


FORMS = [
    ("status", "age of the last backup against the RPO, next run, replicas, failures", anyone, ""),
    ("run", "run a full backup now (progress in a thread)", admin, ""),
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
    """/backup and its forms; the handlers are bound to deps at registration."""
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


class Thread:
    """A message in the channel and its thread: where a long job reports progress, through the outbox."""

    def __init__(self, outbox: Messages, channel: str, text: str, user: str) -> None:
        self.outbox = outbox
        self.channel = channel
        # Lines and the final update name the parent by key: they go out once it has landed, in order (in the
        # user's DM if the bot is not in the channel: commands and buttons work where the bot was never invited).
        self.key = f"backups.thread:{uuid.uuid4().hex}"
        outbox.send(message.post(channel, text, key=self.key, fallback_user=user))

    def say(self, text: str) -> None:
        """One progress line in the thread."""
        self.outbox.send(message.reply(self.channel, text, after=self.key))

    def finish(self, text: str) -> None:
        """Replace the parent message with the outcome, and repeat it in the thread."""
        self.outbox.send(message.update(self.channel, text, after=self.key))
        self.say(text)


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


def register(registry: Registry) -> None:
    """Register /backup, the restore confirm buttons, catalog events and the Home section."""
    deps = registry.kernel
    service = BackupService(deps)

    def status(invocation: Invocation) -> None:
        """Where backups stand."""
        if invocation.args.strip():
            raise BadInput("`status` takes no arguments.\nUsage: `/backup [status]`")
        found = service.status()
        invocation.respond(response_type="ephemeral", text=blocks.rpo_line(found), blocks=blocks.status_blocks(found))

    def run(invocation: Invocation) -> None:
        """A full run now; progress in a thread under a message in the channel."""
        if invocation.args.strip():
            raise BadInput("`run` takes no arguments.\nUsage: `/backup run`")
        user = invocation.command.user_id
        service.domain()
        service.table()
        channel = invocation.command.channel_id or user
        thread = Thread(deps.messages, channel, f":floppy_disk: <@{user}> started a full catalog backup…", user)
        finished = service.run(FULL, user, thread.say)
        thread.finish(blocks.run_text(finished))
        deps.audit.record(actor=user, action="backups.run", target=finished.run_id, result=finished.status)
        alerts.run_finished(deps, service.store, finished)

    def history(invocation: Invocation) -> None:
        """The newest runs, and the backup's age against the RPO over the week as a chart in the asker's DM."""
        args = HistoryArgs.parse(invocation.args)
        runs = service.history(args.n)
        answer = blocks.history_blocks(runs)
        if _send_age_chart(invocation, service):
            answer.append({"type": "context", "elements": [{"type": "mrkdwn", "text": AGE_CHART_SENT}]})
        invocation.respond(response_type="ephemeral", text=count(len(runs), "backup run"), blocks=answer)

    def verify(invocation: Invocation) -> None:
        """Drift between catalog and backup."""
        if invocation.args.strip():
            raise BadInput("`verify` takes no arguments.\nUsage: `/backup verify`")
        invocation.respond(response_type="ephemeral", text="Comparing the catalog with the backup…")
        found = service.verify()
        summary = f"{len(found.missing)} missing, {len(found.stale)} stale, {len(found.extra)} extra"
        invocation.respond(response_type="ephemeral", text=summary, blocks=blocks.drift_blocks(found))

    def restore(invocation: Invocation) -> None:
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

    registry.command(router({"status": status, "run": run, "history": history, "verify": verify, "restore": restore}))

    def apply_plan(interaction: Interaction) -> None:
        """The admin confirmed: apply the plan, progress in a thread, RTO at the end."""
        body, respond = interaction.body, interaction.respond
        ref = ids.PlanRef.model_validate_json(body["actions"][0]["value"])
        user = body["user"]["id"]
        plan = service.get_plan(ref.plan)
        respond(replace_original=True, text=f"Applying restore plan `{ref.plan}`…")
        channel = (body.get("channel") or {}).get("id") or user
        thread = Thread(
            deps.messages,
            channel,
            f":recycle: <@{user}> is restoring the catalog into `{plan.target_domain_id}`…",
            user,
        )
        result = service.apply(ref.plan, user, thread.say)
        thread.finish(blocks.applied_text(ref.plan, plan.target_domain_id, result))

    registry.action(ids.APPLY_PLAN, admin, apply_plan)

    def cancel(interaction: Interaction) -> None:
        """Drop the confirm prompt."""
        respond = interaction.respond
        respond(delete_original=True)

    registry.action(ids.CANCEL, anyone, cancel)

    def on_catalog_event(event: InboundEvent) -> None:
        """Back up the entity an event touched, within seconds of the change."""
        found = entity_of(event)
        if found is None or not service.configured:
            return
        kind, ref = found
        if ref.domain != deps.settings.datazone_domain_id:
            return
        outcome, run = service.back_up_entity(ref.domain, kind, ref.id, f"event:{event.event_id}"[:64])
        log.info("backup_event", kind=kind, entity=ref.id, outcome=outcome, run_id=run.run_id)
        alerts.run_finished(deps, service.store, run)

    for detail_type in SERVICE_EVENTS:
        registry.on_event(datazone_events.SOURCE, datazone_events.service_event(detail_type), on_catalog_event)
    for event_name in API_CALLS:
        registry.on_api_call(datazone_events.SOURCE, datazone_events.api_call(event_name), on_catalog_event)

    def home(_user_id: str) -> list[dict[str, Any]]:
        """RPO colour, next run, replicas."""
        if not service.configured:
            return []
        return blocks.home_blocks(service.status())

    registry.home_section("Catalog backups", home)
