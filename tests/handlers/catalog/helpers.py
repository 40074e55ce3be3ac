"""Shared steps of the catalog tests: the sandbox, the app wired to it, and ways to drive it as a consumer."""

import json
from contextlib import contextmanager

import pytest
import yaml

from bot.app import build_app
from bot.deps import build_deps
from bot.inbox.consumer import SqsConsumer
from bot.inbox.service import build_inbox
from bot.settings import load_settings
from opsbot.capabilities import CAPABILITIES
from sandbox.runtime import ANALYST, SIGNING_SECRET, start_sandbox
from sandbox.slack_requests import SlackRequests
from sandbox.world import ACCOUNT, DOMAIN_ID
from scheduler import bound_tasks, build_scheduler
from tests.harness import BoltDriver, eventually

CHANNEL = "C0GENERAL"
ANALYST_ROLE = f"arn:aws:iam::{ACCOUNT}:role/MarketingAnalyst"


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("catalog"))
    yield sandbox
    sandbox.stop()


@contextmanager
def wired(box, tmp_path, monkeypatch, **env):
    """The app wired to the sandbox (`env` overrides its settings), its inbox and a paused scheduler."""
    for name, value in {**box.env(), **env}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    deps = build_deps(settings)
    deps.db.migrate(CAPABILITIES)
    scheduler = build_scheduler(deps.db, bound_tasks(deps, CAPABILITIES))
    scheduler.start(paused=True)
    deps.jobs.attach(scheduler)
    app = build_app(settings, deps, CAPABILITIES)
    box.slack.reset()
    box.slack.workspace.join(CHANNEL)  # where the tests' signed clicks and commands come from
    inbox = build_inbox(deps)
    try:
        yield {
            "deps": deps,
            "inbox": inbox,
            "consumer": SqsConsumer(box.client("sqs"), box.world.queue_url, inbox, deps.metrics, wait_seconds=1),
            "driver": BoltDriver(app, SlackRequests(SIGNING_SECRET)),
            "dz": box.client("datazone"),
            "box": box,
        }
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        deps.close()


@pytest.fixture
def bot(box, tmp_path, monkeypatch):
    """The app wired to the sandbox as the sandbox's policy has it."""
    with wired(box, tmp_path, monkeypatch) as wired_bot:
        yield wired_bot


@pytest.fixture
def bot_with_requester_role(box, tmp_path, monkeypatch):
    """The app wired to the sandbox, with a policy that has Maria ask for access through her own role."""
    policy = yaml.safe_load(box.policy_path.read_text())
    policy["subscriptions"]["requester_roles"] = {ANALYST: ANALYST_ROLE}
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(policy))
    with wired(box, tmp_path, monkeypatch, OPSBOT_CONFIG=str(path)) as wired_bot:
        yield wired_bot


def catalog(bot, text, user):
    """Run `/catalog <text>` as `user` with a response_url; the HTTP answer (the ack)."""
    return bot["driver"].command("/catalog", text, user=user, response_url=bot["box"].slack.response_url())


def reply(bot, predicate):
    """The next response_url reply whose JSON satisfies `predicate`."""
    return bot["box"].slack.wait_for("response_url", lambda c: predicate(json.dumps(c.body)))


def buttons(blocks):
    """Every button in `blocks`: (action_id, value)."""
    return [(e["action_id"], e["value"]) for b in blocks if b.get("type") == "actions" for e in b["elements"]]


def requests_for(bot, asset, status="PENDING"):
    """The consumer project's requests for `asset` in DataZone, with this status."""
    box = bot["box"]
    return bot["dz"].list_subscription_requests(
        domainIdentifier=DOMAIN_ID,
        status=status,
        subscribedListingId=box.world.listings[asset],
        owningProjectId=box.world.consumer_project,
    )["items"]


def settle_pending(bot, asset):
    """Reject the consumer project's pending requests for `asset` in the portal, so a new one may be asked."""
    for item in requests_for(bot, asset):
        bot["dz"].reject_subscription_request(domainIdentifier=DOMAIN_ID, identifier=item["id"], decisionComment="x")


def drain(bot, until):
    """Deliver the sandbox's DataZone events from the events queue until `until()` holds."""
    eventually(lambda: bot["consumer"].poll_once() >= 0 and until(), timeout=20)


def card_posted(bot, request_id, channel):
    """True once the request's card was posted in `channel`."""
    calls = bot["box"].slack.calls_to("chat.postMessage")
    return any(request_id in json.dumps(c.body) for c in calls if c.body.get("channel") == channel)
