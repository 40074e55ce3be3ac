"""The real app wired to a running sandbox, as the handler tests drive it: one way to build it for all of them."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App

from bot.app import build_app
from bot.deps import Deps, build_deps
from bot.inbox.consumer import SqsConsumer
from bot.inbox.service import build_inbox
from bot.settings import Settings, load_settings
from opsbot.capabilities import CAPABILITIES
from sandbox.runtime import SIGNING_SECRET
from sandbox.slack_requests import SlackRequests
from scheduler import bound_tasks, build_scheduler
from tests.harness import BoltDriver

# Where the tests' signed clicks and commands come from.
CHANNEL = "C0GENERAL"


def policy_variant(box: Any, directory: Path, change: Callable[[dict[str, Any]], None], name: str) -> Path:
    """The sandbox's policy file as `change` edits it (a dict, as YAML reads it), written to `directory`/`name`."""
    policy = yaml.safe_load(box.policy_path.read_text(encoding="utf-8"))
    change(policy)
    path = directory / name
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


def single_step_policy(box: Any, directory: Path) -> Path:
    """The sandbox's policy with its approval chains taken out: confidential requests decided in one step by the
    producer's approvers, as the flows' tests drive them; test_chains drives the sandbox's own two steps."""

    def without_steps(policy: dict[str, Any]) -> None:
        for rule in policy.get("subscriptions", {}).get("rules", {}).values():
            if isinstance(rule, dict):
                rule.pop("steps", None)

    return policy_variant(box, directory, without_steps, "single-step-policy.yaml")


def built_app(tmp_path: Path) -> tuple[Settings, Deps, BackgroundScheduler, App]:
    """Settings from the environment, deps over a fresh SQLite database in `tmp_path` (migrated), a paused scheduler
    (as on a replica that is not the leader: time-bound approvals store their jobs) and the app."""
    settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    deps = build_deps(settings)
    deps.db.migrate(CAPABILITIES)
    scheduler = build_scheduler(deps.db, bound_tasks(deps, CAPABILITIES))
    scheduler.start(paused=True)
    deps.jobs.attach(scheduler)
    return settings, deps, scheduler, build_app(settings, deps, CAPABILITIES)


@contextmanager
def wired(box: Any, tmp_path: Any, monkeypatch: Any, **env: str) -> Iterator[dict[str, Any]]:
    """The app wired to the sandbox (`env` overrides its settings), its inbox and a paused scheduler, as on a
    replica that is not the leader."""
    for name, value in {**box.env(), **env}.items():
        monkeypatch.setenv(name, value)
    settings, deps, scheduler, app = built_app(tmp_path)
    box.slack.reset()
    box.slack.workspace.join(CHANNEL)
    inbox = build_inbox(deps)
    try:
        yield {
            "deps": deps,
            "inbox": inbox,
            "consumer": SqsConsumer(box.client("sqs"), box.world.queue_url, inbox, deps.metrics, wait_seconds=1),
            "driver": BoltDriver(app, SlackRequests(SIGNING_SECRET)),
            "dz": box.client("datazone"),
            "box": box,
            "scheduler": scheduler,
            "settings": settings,
        }
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        deps.close()
