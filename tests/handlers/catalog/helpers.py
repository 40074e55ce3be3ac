"""Shared steps of the catalog tests: the sandbox, the app wired to it, and ways to drive it as a consumer."""

import json

import pytest

from sandbox.runtime import ANALYST, start_sandbox
from sandbox.world import ACCOUNT, DOMAIN_ID
from tests.harness import eventually
from tests.sandbox_bot import policy_variant, wired

ANALYST_ROLE = f"arn:aws:iam::{ACCOUNT}:role/MarketingAnalyst"


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("catalog"))
    yield sandbox
    sandbox.stop()


@pytest.fixture
def bot(box, tmp_path, monkeypatch):
    """The app wired to the sandbox as the sandbox's policy has it."""
    with wired(box, tmp_path, monkeypatch) as wired_bot:
        yield wired_bot


@pytest.fixture
def bot_with_requester_role(box, tmp_path, monkeypatch):
    """The app wired to the sandbox, with a policy that has Maria ask for access through her own role."""
    roles = {ANALYST: ANALYST_ROLE}
    path = policy_variant(box, tmp_path, lambda policy: policy["subscriptions"].update(requester_roles=roles), "p.yml")
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
