"""Shared steps of the subscription tests: the sandbox, the app wired to it, and ways to drive it."""

import json
import uuid

import pytest

from bot.inbox.envelope import InboundEvent
from sandbox.runtime import start_sandbox
from sandbox.world import DOMAIN_ID
from tests.sandbox_bot import single_step_policy, wired


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("approvals"))
    yield sandbox
    sandbox.stop()


@pytest.fixture
def bot(box, tmp_path, monkeypatch):
    """The app wired to the sandbox, its inbox, a paused scheduler (as on a replica that is not the leader); its
    confidential requests are decided in one step (the sandbox's approval chain is test_chains' `chained`)."""
    with wired(box, tmp_path, monkeypatch, OPSBOT_CONFIG=str(single_step_policy(box, tmp_path))) as wired_bot:
        yield wired_bot


def request(bot, asset="customer_pii", as_user=None):
    """A new subscription request from the consumer project; `as_user` signs it as a sandbox person."""
    client = bot["box"].client("datazone", as_user=as_user) if as_user else bot["dz"]
    return client.create_subscription_request(
        domainIdentifier=DOMAIN_ID,
        requestReason="Campaign analysis",
        subscribedPrincipals=[{"project": {"identifier": bot["box"].world.consumer_project}}],
        subscribedListings=[{"identifier": bot["box"].world.listings[asset]}],
    )["id"]


def event(entity_id, detail_type="Subscription Request Created"):
    """The EventBridge event DataZone sends about an entity (a subscription request unless told otherwise)."""
    return InboundEvent(
        event_id=str(uuid.uuid4()),
        source="aws.datazone",
        detail_type=detail_type,
        detail={"metadata": {"id": entity_id, "domain": DOMAIN_ID}},
        via="eventbridge",
    )


def card(bot, request_id):
    """The card posted for the request, and its buttons' values by action id."""
    call = bot["box"].slack.wait_for("chat.postMessage", lambda c: request_id in json.dumps(c.body.get("blocks", [])))
    buttons = next(b for b in call.body["blocks"] if b.get("type") == "actions")["elements"]
    return call, {b["action_id"]: b["value"] for b in buttons}


def status(bot, request_id):
    """The request as DataZone has it."""
    return bot["dz"].get_subscription_request_details(domainIdentifier=DOMAIN_ID, identifier=request_id)


def submit(bot, user, callback, value, text, block, action, extra=None):
    """Submit a modal with one text input (and any extra state values)."""
    values = {block: {action: {"type": "plain_text_input", "value": text}}, **(extra or {})}
    return bot["driver"].submit(callback, user=user, values=values, private_metadata=value)


def reply(bot, predicate):
    """The next response_url reply whose JSON satisfies `predicate`."""
    return bot["box"].slack.wait_for("response_url", lambda c: predicate(json.dumps(c.body)))


def command(bot, text, user):
    """Run `/subscriptions <text>` as `user` with a response_url."""
    return bot["driver"].command("/subscriptions", text, user=user, response_url=bot["box"].slack.response_url())
