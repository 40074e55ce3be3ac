"""Where capabilities declare their commands, buttons, modals and Home tab sections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.authz import Guards, Rule, anyone
from bot.commands import CommandRouter, ErrorReporter, listener_for
from bot.inbox.datazone_events import SOURCE as DATAZONE_SOURCE
from bot.inbox.datazone_events import service_event
from bot.inbox.router import EventHandler, EventRouter
from bot.kernel import Kernel
from bot.workers import Worker, Workers

HomeSection = Callable[[str], list[dict[str, Any]]]
"""Blocks for the Home tab of the given user."""


@dataclass(frozen=True)
class Interaction:
    """What a button or modal listener gets, after the registry has acked: the payload and the Slack helpers."""

    body: dict[str, Any]
    client: WebClient
    # The checked respond the middleware installs (bot/replies.py); a modal submission has no response_url.
    respond: Respond

    @property
    def user_id(self) -> str:
        return str(self.body["user"]["id"])


InteractionHandler = Callable[[Interaction], None]
# A modal's own check of what was typed, before it closes: Slack shows the errors by block id; None closes it.
ViewCheck = Callable[[dict[str, Any]], dict[str, str] | None]


@dataclass
class Registry:
    """Declares listeners on the app and their rules in one step, so nothing is left unguarded."""

    app: App
    # The ports capabilities build their flows from; never the composition root's Deps.
    kernel: Kernel
    events: EventRouter
    workers: Workers
    report: ErrorReporter
    guards: Guards = field(default_factory=Guards)
    commands: dict[str, CommandRouter] = field(default_factory=dict)
    home_sections: list[tuple[str, HomeSection]] = field(default_factory=list)

    def command(self, router: CommandRouter) -> None:
        """Register a slash command and the rule of each of its forms."""
        self.commands[router.command] = router
        for sub in router.forms():
            self.guards.add("command", router.guard_key(sub), sub.rule)
        if router.fallback is None:
            self.guards.add("command", router.guard_key(None), anyone)
        self.app.command(router.command)(listener_for(router, self.report))

    @contextmanager
    def reporting(self, body: dict[str, Any], client: WebClient) -> Iterator[None]:
        """Around the work a listener does after ack(): errors go to the error handler, never back to Bolt."""
        try:
            yield
        except Exception as error:
            # Bolt's sync runner loses an ack that is followed by an exception.
            self.report(error, body, client)

    def action(self, action_id: str, rule: Rule, handler: InteractionHandler) -> None:
        """Register a button or menu action with its rule: acked at once, its errors reported to the user."""
        self.guards.add("action", action_id, rule)
        self.app.action(action_id)(self._acked(handler))

    def view(self, callback_id: str, rule: Rule, handler: InteractionHandler, check: ViewCheck | None = None) -> None:
        """Register a modal submission with its rule; `check` may keep the modal open with errors instead."""
        self.guards.add("view", callback_id, rule)
        self.app.view(callback_id)(self._acked(handler, check))

    def _acked(self, handler: InteractionHandler, check: ViewCheck | None = None) -> Callable[..., None]:
        # Bolt passes listener arguments by name, so the wrapper keeps Bolt's names and the handler stays plain.
        def listener(ack: Any, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            checked = check is None
            errors = None
            with self.reporting(body, client):
                errors = check(body) if check is not None else None
                checked = True
            if errors:
                ack(response_action="errors", errors=errors)
                return
            # A check that raised was reported above: the modal closes, not left hanging, and nothing is done.
            ack()
            if not checked:
                return
            with self.reporting(body, client):
                handler(Interaction(body, client, respond))

        # Logs name the handler; a handler bound with functools.partial is named by its function.
        named = handler.func if isinstance(handler, partial) else handler
        listener.__name__ = str(getattr(named, "__name__", "listener"))
        return listener

    def on_event(self, source: str, detail_type: str, handler: EventHandler) -> None:
        """Route inbound AWS events of `source` and `detail_type` ("*" for all) to `handler`.

        DataZone's names are checked against AWS's published list: a name DataZone never sends fails at start-up.
        """
        if source == DATAZONE_SOURCE and detail_type != "*":
            service_event(detail_type)
        self.events.on(source, detail_type, handler)

    def on_api_call(self, source: str, event_name: str, handler: EventHandler) -> None:
        """Route CloudTrail's records of the API action `event_name` (from `source`) to `handler`."""
        self.events.on_api_call(source, event_name, handler)

    def home_section(self, title: str, section: HomeSection) -> None:
        """Add a section to every user's Home tab."""
        self.home_sections.append((title, section))

    def worker(self, worker: Worker) -> None:
        """Run `worker` in the background while the bot runs (started after registration, stopped on close)."""
        self.workers.add(worker)
