"""The /subscriptions command forms, self-approval, requester DMs, access and revoke, throttling, Home tab."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.arguments import parse
from handlers.subscriptions import ids
from handlers.subscriptions.arguments import ApproveArgs, RejectArgs, RevokeArgs
from sandbox.runtime import ADMIN, ANALYST, APPROVER
from sandbox.world import ACCOUNT, APPROVER_ROLE, DOMAIN_ID
from tests.handlers.subscriptions.helpers import card, command, event, reply, request, status
from tests.harness import eventually


def _dm(bot, user, predicate=lambda text: True):
    return bot["box"].slack.wait_for(
        "chat.postMessage", lambda c: c.body.get("channel") == user and predicate(c.body.get("text", ""))
    )


def test_approve_by_command_dms_the_mapped_requester(bot):
    request_id = request(bot, as_user="maria")
    bot["inbox"].handle(event(request_id))
    call, _ = card(bot, request_id)
    assert "maria (MarketingAnalyst)" in json.dumps(call.body["blocks"]) and "<@U0MARIA>" in json.dumps(call.body)
    command(bot, f"approve {request_id} fine for the campaign", APPROVER)
    assert "Approved the request for customer_pii" in reply(bot, lambda t: "Approved" in t).body["text"]
    detail = status(bot, request_id)
    assert detail["status"] == "ACCEPTED" and "U0ALICE" in detail["decisionComment"]
    told = _dm(bot, ANALYST, lambda text: "accepted" in text)
    assert "fine for the campaign" in told.body["text"] and "<@U0ALICE>" in told.body["text"]
    assert "Accepted" in json.dumps(bot["box"].slack.wait_for("chat.update").body["blocks"])


def test_reject_by_command_needs_a_reason(bot):
    request_id = request(bot)
    command(bot, f"reject {request_id}", APPROVER)
    assert "Give a reason" in reply(bot, lambda t: "reason" in t).body["text"]
    assert status(bot, request_id)["status"] == "PENDING"
    command(bot, f"reject {request_id} no DPIA on file", APPROVER)
    eventually(lambda: status(bot, request_id)["status"] == "REJECTED")
    assert "no DPIA on file" in status(bot, request_id)["decisionComment"]


def test_self_approval_is_refused_on_the_button_and_the_command(bot):
    request_id = request(bot, as_user="alice")  # Alice approves for the producer, and asks herself
    bot["inbox"].handle(event(request_id))
    _, buttons = card(bot, request_id)
    bot["driver"].click(ids.APPROVE, user=APPROVER, value=buttons[ids.APPROVE])
    refused = bot["box"].slack.wait_for(
        "chat.postEphemeral", lambda c: "asked for this access" in c.body.get("text", "")
    )
    assert refused.body["user"] == APPROVER
    command(bot, f"approve {request_id}", APPROVER)
    assert "another approver" in reply(bot, lambda t: "asked for this access" in t).body["text"]
    assert status(bot, request_id)["status"] == "PENDING"
    assert bot["box"].slack.calls_to("views.open") == []
    assert bot["deps"].audit.recent(action="subscriptions.decide")[0].result == "denied"
    command(bot, f"approve {request_id}", ADMIN)  # someone else may
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")


def test_a_reader_cannot_approve_by_command(bot):
    request_id = request(bot)
    response = command(bot, f"approve {request_id}", ANALYST)
    assert "Only DataZone project approvers" in response.body
    assert status(bot, request_id)["status"] == "PENDING"


def test_throttled_accept_is_retried(bot):
    request_id = request(bot)
    service = bot["box"].datazone_service
    before = service.calls.count("AcceptSubscriptionRequest")
    service.fail_next("AcceptSubscriptionRequest", "ThrottlingException", times=2)
    command(bot, f"approve {request_id}", APPROVER)
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    assert service.calls.count("AcceptSubscriptionRequest") - before == 3


def test_access_lists_subscribers_and_revoke_asks_first(bot):
    request_id = request(bot, as_user="maria")
    command(bot, f"approve {request_id} 30d", APPROVER)
    reply(bot, lambda t: "Approved the request" in t)  # said once everything is recorded
    command(bot, "access customer_pii", ANALYST)
    listing = reply(bot, lambda t: "Access to customer_pii" in t)
    text = json.dumps(listing.body["blocks"])
    assert "project Marketing analytics" in text and "<@U0ALICE>" in text and "access granted" in text
    assert "until" in text  # approved for 30 days
    subscription = bot["dz"].list_subscriptions(domainIdentifier=DOMAIN_ID, subscriptionRequestIdentifier=request_id)[
        "items"
    ][0]["id"]

    assert "Only DataZone project approvers" in command(bot, f"revoke {subscription}", ANALYST).body
    command(bot, f"revoke {subscription} campaign is over", APPROVER)
    prompt = reply(bot, lambda t: "Revoke" in t and subscription in t)
    button = next(b for b in prompt.body["blocks"] if b["type"] == "actions")["elements"][0]
    assert bot["dz"].get_subscription(domainIdentifier=DOMAIN_ID, identifier=subscription)["status"] == "APPROVED"
    bot["driver"].click(
        ids.CONFIRM_REVOKE, user=APPROVER, value=button["value"], response_url=bot["box"].slack.response_url()
    )
    eventually(
        lambda: bot["dz"].get_subscription(domainIdentifier=DOMAIN_ID, identifier=subscription)["status"] == "REVOKED"
    )
    assert "campaign is over" in _dm(bot, ANALYST, lambda text: "revoked" in text).body["text"]
    assert bot["deps"].jobs.due(f"subscriptions.expire.{subscription}") is None  # nothing left to expire
    command(bot, "access customer_pii", ANALYST)
    assert subscription not in json.dumps(reply(bot, lambda t: "customer_pii" in t and "Access" not in t).body)


def test_access_to_an_unknown_asset_is_a_clear_answer(bot):
    command(bot, "access no_such_table", ANALYST)
    assert "No published asset" in reply(bot, lambda t: "no_such_table" in t).body["text"]


def test_home_tab_shows_the_approvers_queue(bot):
    request_id = request(bot)
    bot["driver"].event({"type": "app_home_opened", "user": APPROVER, "tab": "home"})
    view = bot["box"].slack.wait_for("views.publish", lambda c: c.body.get("user_id") == APPROVER).body["view"]
    assert "Subscription requests" in json.dumps(view) and request_id in json.dumps(view)
    bot["driver"].event({"type": "app_home_opened", "user": ANALYST, "tab": "home"})
    reader = bot["box"].slack.wait_for("views.publish", lambda c: c.body.get("user_id") == ANALYST).body["view"]
    assert "Subscription requests" not in json.dumps(reader)


USAGE = "/subscriptions approve <request-id> [comment]"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=st.text(max_size=300))
def test_no_argument_text_crashes_the_parsers(text):
    for kind in (ApproveArgs, RejectArgs, RevokeArgs):
        try:
            parsed = parse(kind, text, USAGE)
        except Exception as error:
            assert type(error).__name__ == "BadInput" and "Usage:" in str(error)
        else:
            assert parsed.model_dump()


def test_a_duration_is_read_from_the_comment():
    assert parse(ApproveArgs, "req1 30d for the pilot", USAGE).model_dump() == {
        "request_id": "req1",
        "days": 30,
        "filters": (),
        "comment": "for the pilot",
    }
    assert parse(ApproveArgs, "req1 thirty days", USAGE).days is None


def test_the_decision_is_made_with_the_approvers_own_role(bot):
    request_id = request(bot)
    sts_calls = bot["box"].sts_recorder.calls
    before = len(sts_calls)
    command(bot, f"approve {request_id}", APPROVER)  # the sandbox policy maps Alice to her role
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    assume = [c for c in sts_calls[before:] if c.get("Action") == "AssumeRole"]
    assert [(c["RoleArn"], c["SourceIdentity"], c["RoleSessionName"]) for c in assume] == [
        (APPROVER_ROLE, APPROVER, f"opsbot-{APPROVER}")
    ]
    # DataZone records the role session that carries her name, not the bot's own identity.
    assert status(bot, request_id)["reviewerId"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/SalesDataOwner/opsbot-U0ALICE"

    other = request(bot)
    command(bot, f"approve {other}", ADMIN)  # no role mapped: the bot's own credentials, no AssumeRole
    eventually(lambda: status(bot, other)["status"] == "ACCEPTED")
    assert status(bot, other)["reviewerId"] == "sandbox-user"
