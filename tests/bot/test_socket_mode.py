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
