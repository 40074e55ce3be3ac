"""Published Socket Mode envelopes (and published payloads in our envelopes) through CheckedSocketModeHandler."""

from __future__ import annotations

import pytest

from bot.socket_mode import CheckedSocketModeHandler
from handlers.subscriptions import ids
from sandbox.runtime import APPROVER, SALES_CHANNEL
from sandbox.slack_requests import VARIANTS
from sandbox.slack_socket import FakeSocketMode
from tests.conformance.corpus import load
from tests.conformance.test_slack_http import approve_values, card, carded_request
from tests.harness import eventually


@pytest.fixture
def socket(bot):
    """The bot connected over a real WebSocket to the fake Socket Mode endpoint."""
    server = FakeSocketMode().start()
    bot.box.slack.socket_mode_url = server.url
    handler = CheckedSocketModeHandler(bot.app, bot.box.slack.app_token, metrics=bot.deps.metrics)
    handler.connect()
    server.wait_connected()
    yield server
    handler.close()
    server.stop()


def test_published_slash_command_envelope_gets_its_answer_in_the_ack(bot, socket):
    envelope = load(
        "slack/socket.slash_commands.json",
        user=APPROVER,
        channel=SALES_CHANNEL,
        command="/cluster",
        text="help",
        response_url=bot.box.slack.response_url(),
    )
    assert "is_enterprise_install" not in envelope["payload"] and "retry_attempt" not in envelope
    ack = socket.send_envelope(envelope)
    assert ack["envelope_id"] == envelope["envelope_id"]
    assert ack["payload"]["response_type"] == "ephemeral" and "/cluster watch <cluster>" in ack["payload"]["text"]


def test_published_grid_slash_command_in_an_envelope(bot, socket):
    fields = load(
        "slack/slash_command.grid.json",
        user=APPROVER,
        channel=SALES_CHANNEL,
        command="/subscriptions",
        text="help",
        response_url=bot.box.slack.response_url(),
    )
    ack = socket.send_envelope(bot.requests.socket_envelope("slash_commands", fields))
    assert "/subscriptions approve <request-id>" in ack["payload"]["text"]


@pytest.mark.parametrize("name", ["slack/socket.events_api.app_mention.json", "slack/socket.events_api.message.json"])
def test_published_events_nobody_listens_to_are_acknowledged_and_ignored(bot, socket, name):
    envelope = load(name, channel=SALES_CHANNEL)
    assert envelope["retry_attempt"] == 0 and envelope["payload"]["authorizations"][0]["enterprise_id"] is None
    ack = socket.send_envelope(envelope)
    assert ack == {"envelope_id": envelope["envelope_id"]}
    assert bot.box.slack.calls_to("chat.postMessage") == []


def test_published_shortcut_with_null_enterprise_is_acknowledged_and_refused(bot, socket):
    envelope = load("slack/socket.interactive.shortcut.json")
    assert envelope["payload"]["enterprise"] is None
    ack = socket.send_envelope(envelope)
    assert ack == {"envelope_id": envelope["envelope_id"]}
    assert bot.box.slack.calls_to("views.open") == []


def test_published_select_in_a_modal_from_an_unknown_action_is_refused_politely(bot, socket):
    envelope = load("slack/socket.interactive.block_actions.view_select.json", user=APPROVER)
    payload = envelope["payload"]
    assert payload["enterprise"] is None and payload["container"]["type"] == "view" and "channel" not in payload
    ack = socket.send_envelope(envelope)
    assert ack["envelope_id"] == envelope["envelope_id"]
    # No channel and no response_url: the refusal reaches the user as a DM.
    told = bot.box.slack.wait_for("chat.postMessage", lambda c: c.body.get("channel") == APPROVER)
    assert "does not know this action" in told.body["text"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_approval_over_socket_mode_in_each_install_kind(bot, socket, variant):
    request_id, buttons = carded_request(bot)
    requests = bot.requests
    click = requests.block_actions_payload(
        requests.button(ids.APPROVE, buttons[ids.APPROVE]), user_id=APPROVER, variant=variant, channel_id=SALES_CHANNEL
    )
    socket.send_envelope(requests.socket_envelope("interactive", click))
    modal = bot.box.slack.wait_for("views.open").body["view"]
    submission = requests.view_submission_payload(
        ids.APPROVE_MODAL,
        user_id=APPROVER,
        values=approve_values("30"),
        private_metadata=modal["private_metadata"],
        variant=variant,
    )
    socket.send_envelope(requests.socket_envelope("interactive", submission))
    eventually(lambda: bot.request_status(request_id) == "ACCEPTED", timeout=20)


def test_published_org_wide_payloads_over_socket_mode(bot, socket):
    request_id, buttons = carded_request(bot)
    slots = {"user": APPROVER, "channel": SALES_CHANNEL, "message_ts": "1700000000.000100"}
    click = load(
        "slack/block_actions.org.json",
        action_id=ids.APPROVE,
        value=buttons[ids.APPROVE],
        response_url=bot.box.slack.response_url(),
        **slots,
    )
    assert click["team"] is None
    socket.send_envelope(bot.requests.socket_envelope("interactive", click))
    modal = bot.box.slack.wait_for("views.open").body["view"]
    submission = load(
        "slack/view_submission.org.json",
        callback_id=ids.APPROVE_MODAL,
        private_metadata=modal["private_metadata"],
        values=approve_values(),
        **slots,
    )
    socket.send_envelope(bot.requests.socket_envelope("interactive", submission))
    eventually(lambda: bot.request_status(request_id) == "ACCEPTED", timeout=20)
    assert card(bot, request_id)[0].body["channel"] == SALES_CHANNEL
    assert "for 30 days" in bot.request_details(request_id)["decisionComment"]
