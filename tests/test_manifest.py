"""manifest.yml is a valid Slack app manifest and declares exactly the commands the app serves."""

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "slack-app-manifest.schema.json"


def _manifest():
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_matches_the_schema():
    jsonschema.validate(_manifest(), json.loads(SCHEMA.read_text()))


def test_manifest_declares_every_command_and_the_app_serves_each(slack):
    declared = {c["command"] for c in _manifest()["features"]["slash_commands"]}
    assert declared == {"/subscriptions", "/publish", "/backup", "/cluster", "/protein", "/audit", "/catalog"}
    for command in declared:
        response = slack.command(command, "help", user="U0ANY")
        assert response.status == 200 and json.loads(response.body)["text"].startswith(f"*{command}*")


def test_socket_mode_and_interactivity_are_on():
    settings = _manifest()["settings"]
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "subteam_members_changed",
        "link_shared",
    }
