"""Socket Mode end to end: `opsbot run` connects over a real WebSocket, answers envelopes, stops on SIGTERM."""

import pytest

from sandbox.slack_socket import FakeSocketMode
from tests.harness import free_port, opsbot_env, running_opsbot


@pytest.fixture
def socket_mode(fake_slack):
    server = FakeSocketMode().start()
    fake_slack.socket_mode_url = server.url
    yield server
    server.stop()
    fake_slack.socket_mode_url = "ws://127.0.0.1:9/link"


def test_socket_mode_answers_commands_and_stops_cleanly(fake_slack, socket_mode, requests_, tmp_path):
    env = opsbot_env(fake_slack, tmp_path)
    env.pop("SLACK_SIGNING_SECRET")  # Socket Mode does not need it
    with running_opsbot("socket", free_port(), env, tmp_path) as (_process, stopped):
        socket_mode.wait_connected(timeout=60)
        ack = socket_mode.send("slash_commands", requests_.slash_command_payload("/cluster", "help", user_id="U0ANY"))
        assert ack["payload"]["response_type"] == "ephemeral"
        assert "/cluster watch <cluster>" in ack["payload"]["text"]

        refused = socket_mode.send("slash_commands", requests_.slash_command_payload("/backup", "run", user_id="U0ANY"))
        assert "Only opsbot admins" in refused["payload"]["text"]

        malformed = socket_mode.send("interactive", {"type": "block_actions", "actions": []})
        assert "payload" not in malformed  # acknowledged and dropped, and the bot lives on
        socket_mode.send("events_api", {"type": "event_callback", "event": {"type": "app_home_opened", "user": 7}})
        still_there = socket_mode.send("slash_commands", requests_.slash_command_payload("/protein", "", user_id="U0X"))
        assert "/protein info" in still_there["payload"]["text"]

    assert stopped.returncode == 0, stopped.stderr
    assert '"event": "opsbot_stopped"' in stopped.stderr


def _click(action_id: str, response_url: str, *, team: object, enterprise: object) -> dict:
    """A block_actions payload shaped like Slack's.

    `enterprise` is null outside Enterprise Grid (public block_actions captures show `"enterprise": null,
    "is_enterprise_install": false`); `team` is null in org-wide installs.
    """
    return {
        "type": "block_actions",
        "team": team,
        "enterprise": enterprise,
        "is_enterprise_install": team is None,
        "user": {"id": "U0ANY", "username": "any", "team_id": "T0OPSBOT"},
        "api_app_id": "A0OPSBOT",
        "trigger_id": "1.trigger",
        "channel": {"id": "C0GENERAL", "name": "general"},
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C0GENERAL", "is_ephemeral": False},
        "message": {"ts": "1.000001", "text": "", "blocks": []},
        "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": "", "action_ts": "1.0"}],
    }


def test_socket_mode_takes_null_enterprise_and_team_and_replies(fake_slack, socket_mode, tmp_path):
    env = opsbot_env(fake_slack, tmp_path)
    env.pop("SLACK_SIGNING_SECRET")
    with running_opsbot("socket", free_port(), env, tmp_path) as (_process, stopped):
        socket_mode.wait_connected(timeout=60)
        ordinary = _click("nobody.knows", fake_slack.response_url("ordinary"), team={"id": "T0OPSBOT"}, enterprise=None)
        socket_mode.send("interactive", ordinary)
        org_wide = _click("nobody.knows", fake_slack.response_url("org"), team=None, enterprise={"id": "E0ORG"})
        socket_mode.send("interactive", org_wide)
        # Both passed the shape check and reached authorisation, which refused them through their response_url:
        # Socket Mode requests count as verified (the app token's connection), so replies go out.
        for name in ("ordinary", "org"):
            reply = fake_slack.wait_for("response_url", lambda call, name=name: call.body["_path"].endswith(name))
            assert "does not know this action" in reply.body["text"]
    assert stopped.returncode == 0, stopped.stderr
