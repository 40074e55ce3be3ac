"""Registration as people see it: a card, progress in its thread, the run followed to a summary."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import structlog

from bot.audit import AuditLog
from bot.authz import Access
from bot.errors import BadInput
from bot.kernel import Messages
from bot.outbox import message
from handlers.publishing import blocks
from handlers.publishing.owners import Owners
from handlers.publishing.registration import Outcome, Registrar, Registration
from handlers.publishing.runs import DONE, RunService
from handlers.publishing.store import FOLLOWING, RunCard, RunStore

log = structlog.get_logger(__name__)

# A registration card's outbox key; it stands in for the card's ts (RunCard.thread_ts, 32 characters at most)
# until the card lands.
CARD_KEY_PREFIX = "pub:"

# Runs take seconds to many minutes: poll often at first, then back off to once a minute, for at most a day
# (the Succeeded/Failed event usually ends it sooner).
FIRST_POLL, MAX_POLL, GIVE_UP = 0.25, 60.0, 86400.0


@dataclass(frozen=True)
class Publishing:
    """The capability's services and stores, and exactly the kernel's ports its flows use."""

    runs: RunService
    store: RunStore
    registrar: Registrar
    owners: Owners
    # The policy as it stands: its projects and their channels, and the publishing section.
    access: Access
    audit: AuditLog
    messages: Messages
    # Where a run is followed once its card is up; closing the bot waits for it.
    background: Executor
    # OPSBOT_DATAZONE_DOMAIN_ID, None until an admin sets it.
    domain_id: str | None
    admin_channel: str | None
    sleep: Callable[[float], None] = time.sleep

    @property
    def policy(self) -> Any:
        """The policy's publishing section."""
        return self.access.policy.publishing

    def domain(self) -> str:
        """The configured DataZone domain, or a BadInput that says how to set it."""
        if not self.domain_id:
            raise BadInput("opsbot has no DataZone domain yet: an admin sets OPSBOT_DATAZONE_DOMAIN_ID.")
        return self.domain_id

    def producer_project(self) -> str:
        """The project registrations go to: publishing.project, or the policy's only project."""
        if self.policy.project:
            return str(self.policy.project)
        projects = list(self.access.policy.projects)
        if len(projects) == 1:
            return projects[0]
        raise BadInput("Registrations need a producer project: an admin sets publishing.project in the policy file.")

    def project_channel(self, project_id: str) -> str | None:
        """Where cards about the project go: its channel, else the admins' channel."""
        project = self.access.policy.projects.get(project_id)
        return (project.channel if project else None) or self.admin_channel

    # -- registration --------------------------------------------------------------------------------

    def register(
        self, registration: Registration, user_id: str, channel: str | None, scope: str, *, trusted: bool = False
    ) -> Outcome:
        """Post the card, run the workflow with progress in its thread, then follow the run off this thread.

        `trusted` callers (the inbox, whose senders IAM lets write to the queue; the CLI, run with the
        operator's credentials) skip the Slack owner check.
        """
        domain, project = self.domain(), self.producer_project()
        is_owner = trusted or self.owners.require(
            self.audit, user_id, domain, project, "publishing.register", registration.source_name
        )
        thread = self._post(
            channel,
            None,
            f"Registering {registration.label}",
            blocks.registration_card(registration.label, scope, user_id),
        )

        def progress(line: str) -> None:
            self._post(channel, thread, line)

        try:
            outcome = self.registrar.register(
                domain,
                project,
                registration,
                secret_arn=self.policy.redshift_secret_arn,
                publish_on_import=self.policy.publish_on_import,
                progress=progress,
            )
        except Exception as error:
            message = getattr(error, "message", None) or "the registration failed; the logs have the details"
            progress(f":x: {message}")
            self.audit.record(
                actor=user_id,
                action="publishing.register",
                target=registration.source_name,
                result="failed",
                detail=message[:500],
            )
            raise
        self.audit.record(
            actor=user_id,
            action="publishing.register",
            target=registration.source_name,
            result="ok",
            detail=f"run {outcome.run_id}" + ("" if is_owner else " (as admin)"),
        )
        self.store.add(outcome.run_id, domain, outcome.data_source_id, registration.label, user_id, channel, thread)
        self.background.submit(self.follow, domain, outcome.run_id)
        return outcome

    def _post(self, channel: str | None, thread: str | None, text: str, card: list | None = None) -> str | None:
        """Say `text` through the outbox: a new card (returns the key its thread goes by) or a line in `thread`.

        `thread` is the card's ts, or, while the card may not have landed yet, its outbox key: the line then waits
        for the card and takes its ts.
        """
        if not channel:
            return None
        extra: dict[str, Any] = {"blocks": card} if card else {}
        if thread is None:
            key = f"{CARD_KEY_PREFIX}{uuid.uuid4().hex[:24]}"
            self.messages.send(message.post(channel, text, key=key, **extra))
            return key
        target = {"after": thread} if thread.startswith(CARD_KEY_PREFIX) else {"thread_ts": thread}
        self.messages.send(message.reply(channel, text, **target, **extra))
        return thread

    # -- following runs ------------------------------------------------------------------------------

    def follow(self, domain: str, run_id: str) -> None:
        """Poll the run with backoff until it is done, telling the thread each new status; never raises."""
        try:
            delay, waited = FIRST_POLL, 0.0
            while waited < GIVE_UP:
                card = self.store.get(run_id)
                if card is None or card.state != FOLLOWING:
                    return  # an event or the sweep ended it already
                if self.check(card) in DONE:
                    return
                self.sleep(delay)
                waited += delay
                delay = min(delay * 2, MAX_POLL)
        except Exception:
            log.exception("publishing_follow_failed", run_id=run_id)

    def check(self, card: RunCard) -> str:
        """One look at a followed run: the summary once it is done, else a new status told once; returns the status."""
        status = self.runs.status(card.domain_id, card.run_id)
        if status in DONE:
            self.report(card.domain_id, card.run_id)
        elif self.store.saw(card.run_id, status):
            self._post(card.channel, card.thread_ts, f"Run `{card.run_id}`: {status.lower()}…")
        return status

    def end(self, card: RunCard, state: str, text: str) -> bool:
        """Stop following the run without a summary, telling its thread why once; False if it had ended already."""
        if not self.store.end(card.run_id, state):
            return False
        self._post(card.channel, card.thread_ts, text)
        self.audit.record(
            actor=card.requested_by, action="publishing.run", target=card.run_id, result=state, detail=text[:500]
        )
        return True

    def report(self, domain: str, run_id: str) -> bool:
        """Post the run's summary in its thread, once whoever calls; False if it is not done or not ours."""
        card = self.store.get(run_id)
        if card is None or card.state != FOLLOWING:
            return False
        view = self.runs.view(domain, run_id)
        if not view.done or not self.store.claim_report(run_id):
            return False
        gate = not self.policy.publish_on_import
        self._post(card.channel, card.thread_ts, blocks.run_text(view), blocks.run_summary(view, domain, gate))
        self.audit.record(
            actor=card.requested_by,
            action="publishing.run",
            target=run_id,
            result=view.status.lower(),
            detail=", ".join(f"{k}={v}" for k, v in view.statistics.items()),
        )
        return True
