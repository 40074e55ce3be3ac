"""The app wired to the sandbox (moto, the EMR emulator, fake Slack), with its inbox and a driver."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.deps import build_deps
from bot.inbox.envelope import parse_message
from bot.inbox.service import build_inbox
from bot.settings import load_settings
from handlers.failover.models import Alert, ClusterEvent
from opsbot.capabilities import CAPABILITIES
from sandbox.aws.notifications import alarm_message, sns_envelope
from sandbox.runtime import SIGNING_SECRET, start_sandbox
from sandbox.slack_requests import SlackRequests
from sandbox.world import CLUSTER_ID
from tests.harness import BoltDriver

SALES = "C0SALESDATA"  # the sandbox policy routes tag team=sales here
DEFAULT = "C0DATAPLATFORM"  # clusters.default_channel


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("failover"))
    yield sandbox
    sandbox.stop()


class Bot:
    """The app over the sandbox, and shortcuts for delivering events and reading the bot's state."""

    def __init__(self, box, deps, app):
        self.box, self.deps, self.slack = box, deps, box.slack
        self.inbox = build_inbox(deps)
        self.driver = BoltDriver(app, SlackRequests(SIGNING_SECRET, response_url=box.slack.response_url()))

    def deliver(self, body):
        """One SQS message body through the inbox, as the consumer hands it over."""
        return self.inbox.handle(parse_message(body if isinstance(body, str) else json.dumps(body), str(uuid.uuid4())))

    def alarm(self, state, *, at=None, cluster=CLUSTER_ID, name=None, value=None):
        """An alarm notification over SNS for the cluster's Running metric."""
        name = name or f"opsbot-{cluster}-primary-lost"
        reading = value if value is not None else (2.0 if state == "ALARM" else 3.0)
        return self.deliver(sns_envelope(alarm_message(name, cluster, state, value=reading, at=at or _now())))

    def alerts(self):
        with self.deps.db.session() as session:
            return list(session.scalars(select(Alert).order_by(Alert.id)))

    def events(self):
        with self.deps.db.session() as session:
            return list(session.scalars(select(ClusterEvent).order_by(ClusterEvent.id)))

    def posts(self, channel):
        return [c for c in self.slack.calls_to("chat.postMessage") if c.body.get("channel") == channel]

    def card(self, channel=SALES):
        """The first card posted in `channel` and its buttons by action id."""
        call = self.slack.wait_for(
            "chat.postMessage", lambda c: c.body.get("channel") == channel and not c.body.get("thread_ts")
        )
        buttons = {
            e["action_id"]: e.get("value")
            for b in call.body.get("blocks", [])
            if b.get("type") == "actions"
            for e in b["elements"]
        }
        return call, buttons


def _now():
    return datetime.now(UTC)


@pytest.fixture
def bot(box, tmp_path, monkeypatch):
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    deps = build_deps(settings)
    deps.db.migrate(CAPABILITIES)
    app = build_app(settings, deps, CAPABILITIES)
    box.slack.reset()
    yield Bot(box, deps, app)
    deps.close()


def text_of(call) -> str:
    """Everything a recorded call shows."""
    return json.dumps(call.body, ensure_ascii=False)
