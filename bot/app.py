"""build_app: the Bolt app with the capabilities it is given registered, in order."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import App

from bot.capability import Capability
from bot.deps import Deps
from bot.error_handler import bolt_error_handler, build_error_handler
from bot.middleware import build_middleware
from bot.registry import Registry
from bot.settings import Settings
from bot.slack_signature import SlackSignature, VerifiedRequests


def build_app(settings: Settings, deps: Deps, capabilities: Sequence[Capability]) -> App:
    """A Bolt app wired to `deps`, with each capability's listeners and rules."""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = App(
        client=deps.slack,
        signing_secret=secret,
        # Our own check, right after Bolt's: it marks the requests it verified, and only those get replies.
        before_authorize=VerifiedRequests(SlackSignature(secret)),
        logger=logging.getLogger("slack_bolt"),
        # Listeners ack, then do their slow work on this pool after Bolt has answered Slack.
        listener_executor=deps.executor,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    registry = Registry(
        app=app, kernel=deps.kernel, events=deps.events, workers=deps.workers, report=build_error_handler(deps.metrics)
    )
    for middleware in build_middleware(registry):
        app.middleware(middleware)
    app.error(bolt_error_handler(registry.report))
    _register_directory_events(app, deps)
    # The policy names its groups up front: load them now, so the first click finds them in memory.
    deps.groups.start(deps.access.usergroups())
    for capability in capabilities:
        capability.register(registry)
    # After registration, so every capability's on_sent callbacks are in place before the first delivery.
    deps.workers.start()
    deps.outbox.start()
    return app


def _register_directory_events(app: App, deps: Deps) -> None:
    def group_changed(event: dict[str, Any]) -> None:
        """Slack says a user group's members changed: drop the removed users now, refresh the group soon."""
        removed = event.get("removed_users")
        removed = [user for user in removed if isinstance(user, str)] if isinstance(removed, list) else []
        deps.groups.invalidate(str(event.get("subteam_id", "")), removed)

    app.event("subteam_members_changed")(group_changed)
