"""Published Slack payloads, each install kind, signed and sent over real HTTP to POST /slack/events."""

from __future__ import annotations

import json

import pytest

from handlers.subscriptions import ids
from sandbox.runtime import APPROVER, SALES_CHANNEL
from sandbox.slack_requests import VARIANTS
from tests.conformance.corpus import load, names
from tests.harness import eventually

MESSAGE_TS = "1700000000.000100"
# Per install kind: the published block_actions and view_submission (None: no published sample, our builder's).
PUBLISHED = {
    "workspace": ("slack/block_actions.workspace.json", "slack/view_submission.workspace.json"),
    "grid": ("slack/block_actions.grid_ephemeral.json", "slack/view_submission.grid.json"),
    "org": ("slack/block_actions.org.json", "slack/view_submission.org.json"),
    "connect": (None, "slack/view_submission.connect.json"),
}


def card(bot, request_id):
    """The request's card and its buttons' values by action id."""
    call = bot.box.slack.wait_for("chat.postMessage", lambda c: request_id in json.dumps(c.body.get("blocks", [])))
    buttons = next(b for b in call.body["blocks"] if b.get("type") == "actions")["elements"]
    return call, {b["action_id"]: b["value"] for b in buttons}


def carded_request(bot):
    """A confidential request, carded in the producer's channel as the inbox does it."""
    from tests.handlers.subscriptions.helpers import event

    request_id = bot.datazone_request()
    bot.inbox.handle(event(request_id))
    return request_id, card(bot, request_id)[1]


def approve_values(days: str = "30", comment: str = "ok for Q4"):
    """view.state.values of the approve modal: the duration static_select and the comment plain_text_input."""
    return {
        ids.DAYS_BLOCK: {ids.DAYS_ACTION: {"type": "static_select", "selected_option": _option(days)}},
        ids.COMMENT_BLOCK: {ids.COMMENT_ACTION: {"type": "plain_text_input", "value": comment}},
    }


def _option(days: str):
    return {"text": {"type": "plain_text", "text": f"{days} days", "emoji": True}, "value": days}


def click_payload(bot, variant, name, value):
    slots = {
        "user": APPROVER,
        "action_id": ids.APPROVE,
        "value": value,
        "channel": SALES_CHANNEL,
        "message_ts": MESSAGE_TS,
        "response_url": bot.box.slack.response_url(),
    }
    if name is not None:
        return load(name, **slots)
    action = bot.requests.button(ids.APPROVE, value, style="primary")
    return bot.requests.block_actions_payload(
        action, user_id=APPROVER, variant=variant, channel_id=SALES_CHANNEL, message_ts=MESSAGE_TS
    )


def approve_through_the_modal(bot, click, submission_for):
    """Click Approve, then submit the modal that opened; returns the request id once DataZone accepted it."""
    request_id, buttons = carded_request(bot)
    reply = bot.interactive(click(buttons[ids.APPROVE]))
    assert reply.status == 200, reply.body
    modal = bot.box.slack.wait_for("views.open").body["view"]
    assert modal["callback_id"] == ids.APPROVE_MODAL
    reply = bot.interactive(submission_for(modal["private_metadata"]))
    assert reply.status == 200, reply.body
    eventually(lambda: bot.request_status(request_id) == "ACCEPTED", timeout=20)
    update = bot.box.slack.wait_for("chat.update", lambda c: "Accepted" in json.dumps(c.body.get("blocks", [])))
    assert update.body["channel"] == SALES_CHANNEL
    return request_id


@pytest.mark.parametrize("variant", VARIANTS)
def test_published_click_and_submission_approve_a_request(bot, variant):
    click_name, submission_name = PUBLISHED[variant]

    def submission(metadata):
        return load(
            submission_name,
            user=APPROVER,
            callback_id=ids.APPROVE_MODAL,
            private_metadata=metadata,
            values=approve_values(),
            response_url=bot.box.slack.response_url(),
            channel=SALES_CHANNEL,
        )

    def click(value):
        return click_payload(bot, variant, click_name, value)

    request_id = approve_through_the_modal(bot, click, submission)
    assert "for 30 days" in bot.request_details(request_id)["decisionComment"]
    entry = bot.deps.audit.recent(action="subscriptions.approve")[0]
    assert entry.actor == APPROVER


@pytest.mark.parametrize("variant", VARIANTS)
def test_builder_click_and_submission_approve_a_request(bot, variant):
    requests = bot.requests

    def click(value):
        action = requests.button(ids.APPROVE, value, style="primary")
        return requests.block_actions_payload(action, user_id=APPROVER, variant=variant, channel_id=SALES_CHANNEL)

    def submission(metadata):
        return requests.view_submission_payload(
            ids.APPROVE_MODAL, user_id=APPROVER, values=approve_values("7"), private_metadata=metadata, variant=variant
        )

    request_id = approve_through_the_modal(bot, click, submission)
    # The static_select's choice and the plain_text_input's text both reached DataZone's decision.
    comment = bot.request_details(request_id)["decisionComment"]
    assert "for 7 days" in comment and "ok for Q4" in comment


def test_the_other_side_of_a_slack_connect_channel_cannot_approve(bot):
    request_id, buttons = carded_request(bot)
    outsider = "U0PARTNER1"  # a user of the partner's workspace, in our shared channel
    action = bot.requests.button(ids.APPROVE, buttons[ids.APPROVE])
    click = bot.requests.block_actions_payload(action, user_id=outsider, variant="connect", channel_id=SALES_CHANNEL)
    assert click["user"]["team_id"] != bot.requests.team_id
    assert bot.interactive(click).status == 200
    refusal = bot.box.slack.wait_for("response_url", lambda c: "approvers" in c.body.get("text", ""))
    assert refusal.body["response_type"] == "ephemeral"
    assert bot.request_status(request_id) == "PENDING" and bot.box.slack.calls_to("views.open") == []


def test_a_click_on_an_ephemeral_has_no_message_and_still_opens_the_modal(bot):
    request_id, buttons = carded_request(bot)
    payload = load(
        "slack/block_actions.grid_ephemeral.json",
        user=APPROVER,
        action_id=ids.REJECT,
        value=buttons[ids.REJECT],
        channel=SALES_CHANNEL,
        message_ts=MESSAGE_TS,
        response_url=bot.box.slack.response_url(),
    )
    assert "message" not in payload and payload["container"]["is_ephemeral"] is True
    assert bot.interactive(payload).status == 200
    modal = bot.box.slack.wait_for("views.open").body["view"]
    assert modal["callback_id"] == ids.REJECT_MODAL and request_id in modal["private_metadata"]


def test_the_full_field_java_sample_submission_rejects_with_its_reason(bot):
    request_id, buttons = carded_request(bot)
    payload = load(
        "slack/view_submission.java_sample.json",
        user=APPROVER,
        callback_id=ids.REJECT_MODAL,
        private_metadata=buttons[ids.REJECT],
        values={ids.REASON_BLOCK: {ids.REASON_ACTION: {"type": "plain_text_input", "value": "PII needs a DPIA"}}},
    )
    assert bot.interactive(payload).status == 200
    eventually(lambda: bot.request_status(request_id) == "REJECTED", timeout=20)


@pytest.mark.parametrize("name", names("slack", "view_closed."))
def test_view_closed_changes_nothing_and_says_nothing(bot, name):
    request_id, buttons = carded_request(bot)
    bot.box.slack.reset()
    payload = load(name, user=APPROVER, callback_id=ids.APPROVE_MODAL, private_metadata=buttons[ids.APPROVE])
    reply = bot.interactive(payload)
    assert reply.status < 500, reply.body
    assert bot.request_status(request_id) == "PENDING"
    bot.deps.executor.submit(lambda: None).result(timeout=10)  # anything the ack queued has run
    assert bot.box.slack.calls_to("chat.postMessage") == [] and bot.box.slack.calls_to("chat.postEphemeral") == []


@pytest.mark.parametrize("name", ["slack/slash_command.grid.json", "slack/slash_command.grid_form.json"])
def test_published_slash_commands_answer_the_user(bot, name):
    fields = load(
        name,
        user=APPROVER,
        channel=SALES_CHANNEL,
        command="/subscriptions",
        text="help",
        response_url=bot.box.slack.response_url(),
    )
    reply = bot.command(fields)
    assert reply.status == 200, reply.body
    answer = reply.json()
    assert answer["response_type"] == "ephemeral" and "/subscriptions approve <request-id>" in answer["text"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_builder_slash_commands_answer_the_user(bot, variant):
    reply = bot.slack(*bot.requests.slash_command("/cluster", "help", user_id=APPROVER, variant=variant))
    assert reply.status == 200 and "/cluster watch <cluster>" in reply.json()["text"]


def test_published_app_home_opened_publishes_the_home_tab(bot):
    assert bot.event(load("slack/event.app_home_opened.java_sample.json", user=APPROVER)).status == 200
    published = bot.box.slack.wait_for("views.publish")
    assert published.body["user_id"] == APPROVER and published.body["view"]["type"] == "home"


def test_published_org_wide_messages_tab_opened_publishes_nothing(bot):
    payload = load("slack/event.app_home_opened.org.json", user=APPROVER)
    assert payload["authorizations"][0]["team_id"] is None and payload["event"]["tab"] == "messages"
    assert bot.event(payload).status == 200
    # The same event for the Home tab does publish: the Messages tab was left alone by choice.
    payload["event"]["tab"] = "home"
    assert bot.event(payload).status == 200
    assert [c.body["user_id"] for c in bot.box.slack.calls_to("views.publish")] in ([], [APPROVER])
    assert bot.box.slack.wait_for("views.publish").body["user_id"] == APPROVER
    assert len(bot.box.slack.calls_to("views.publish")) == 1


@pytest.mark.parametrize("variant", VARIANTS)
def test_builder_app_home_opened_publishes_the_home_tab(bot, variant):
    event = bot.requests.app_home_opened(APPROVER)
    assert bot.slack(*bot.requests.event(event, variant=variant)).status == 200
    assert bot.box.slack.wait_for("views.publish").body["user_id"] == APPROVER


@pytest.mark.parametrize("name", ["slack/socket.events_api.app_mention.json", "slack/socket.events_api.message.json"])
def test_published_events_nobody_listens_to_are_acknowledged_so_slack_does_not_retry(bot, name):
    # The Events API callback inside the published Socket Mode envelope is what HTTP mode receives.
    callback = load(name, channel=SALES_CHANNEL)["payload"]
    reply = bot.event(callback)
    assert reply.status == 200  # any other answer makes Slack send it again, up to three times
    assert bot.box.slack.calls_to("chat.postMessage") == []
