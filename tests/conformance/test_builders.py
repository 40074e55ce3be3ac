"""The sandbox's request builders send what Slack sends: each variant against the published payload of its kind."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.runtime import APPROVER
from sandbox.slack_requests import SlackRequests
from tests.conformance.corpus import load

SLOTS = {
    "user": APPROVER,
    "action_id": "a",
    "value": "v",
    "channel": "C0GENERAL",
    "message_ts": "1.2",
    "response_url": "https://hooks.slack.com/actions/T0OPSBOT/1/x",
    "callback_id": "c",
    "private_metadata": "",
    "values": {},
    "command": "/cluster",
    "text": "help",
}
# Parts whose content is the app's own (blocks it sent, the message it posted): their shape is not Slack's.
APP_CONTENT = {"blocks", "message.blocks", "view.blocks", "state.values", "view.state.values"}
IDENTITY = ("team", "enterprise", "is_enterprise_install")


def missing(published: Any, built: Any, path: str = "") -> list[str]:
    """Paths the published payload has and the built one lacks, or has as another kind of value."""
    if path in APP_CONTENT:
        return []
    if isinstance(published, dict):
        if not isinstance(built, dict):
            return [f"{path or '.'}: object, built {type(built).__name__}"]
        return [p for key, value in published.items() for p in _key(key, value, built, path)]
    if isinstance(published, list) and published:
        if not isinstance(built, list) or not built:
            return [f"{path}: list, built {built!r}"]
        return missing(published[0], built[0], f"{path}[]")
    if published is None or built is None:
        return [] if published is built or path.rsplit(".", 1)[-1] not in IDENTITY else [f"{path}: null vs {built!r}"]
    return [] if type(published) is type(built) else [f"{path}: {type(published).__name__} vs {type(built).__name__}"]


def _key(key: str, value: Any, built: dict[str, Any], path: str) -> list[str]:
    where = f"{path}.{key}" if path else key
    if key not in built:
        return [f"{where}: missing"]
    return missing(value, built[key], where)


@pytest.fixture
def requests():
    return SlackRequests("secret", response_url=SLOTS["response_url"])


def _click(requests, variant, **fields):
    action = requests.button("a", "v")
    return requests.block_actions_payload(action, user_id=APPROVER, variant=variant, **fields)


@pytest.mark.parametrize(
    ("name", "variant", "fields"),
    [
        ("slack/block_actions.workspace.json", "workspace", {}),
        ("slack/block_actions.grid_ephemeral.json", "grid", {"ephemeral": True}),
        ("slack/block_actions.org.json", "org", {"ephemeral": True}),
    ],
)
def test_block_actions_builders_have_every_published_part(requests, name, variant, fields):
    published = load(name, **SLOTS)
    built = _click(requests, variant, **fields)
    assert missing(published, built) == []
    for key in IDENTITY:
        if key in published:
            assert (published[key] is None) == (built[key] is None), key
    assert ("message" in published) == ("message" in built)


def test_block_actions_in_a_view_has_the_published_view_container(requests):
    published = load("slack/socket.interactive.block_actions.view_select.json", user=APPROVER)["payload"]
    view = requests.view_payload("", user_id=APPROVER)
    built = requests.block_actions_payload(requests.static_select("a", "x"), user_id=APPROVER, view=view)
    assert missing(published, built) == []
    assert built["container"] == {"type": "view", "view_id": view["id"]} and "channel" not in built


@pytest.mark.parametrize(
    ("name", "variant"),
    [
        ("slack/view_submission.workspace.json", "workspace"),
        ("slack/view_submission.grid.json", "grid"),
        ("slack/view_submission.org.json", "org"),
        ("slack/view_submission.connect.json", "connect"),
    ],
)
def test_view_submission_builders_have_every_published_part(requests, name, variant):
    published = load(name, **SLOTS)
    built = requests.view_submission_payload("c", user_id=APPROVER, variant=variant)
    published.pop("response_urls", None)  # present only when the modal has response_url_enabled inputs
    assert missing(published, built) == []
    for key in IDENTITY:
        if key in published:
            assert (published[key] is None) == (built[key] is None), key


def test_the_connect_builder_acts_as_the_other_side(requests):
    published = load("slack/view_submission.connect.json", **SLOTS)
    built = requests.view_submission_payload("c", user_id=APPROVER, variant="connect")
    for payload in (published, built):
        assert payload["user"]["team_id"] == payload["team"]["id"] != payload["view"]["app_installed_team_id"]


@pytest.mark.parametrize(
    ("name", "variant"), [("slack/view_closed.grid.json", "grid"), ("slack/view_closed.org.json", "org")]
)
def test_view_closed_builders_have_every_published_part(requests, name, variant):
    published = load(name, **SLOTS)
    published.pop("response_urls", None)
    assert missing(published, requests.view_closed_payload("c", user_id=APPROVER, variant=variant)) == []


def test_grid_slash_command_has_every_published_field(requests):
    published = load("slack/slash_command.grid.json", **SLOTS)
    built = requests.slash_command_payload("/cluster", "help", user_id=APPROVER, variant="grid")
    assert set(published) == set(built)
    assert (built["enterprise_id"], built["is_enterprise_install"]) == ("E0OPSBOT", "false")


def test_org_wide_event_authorizations_match_the_published_ones(requests):
    published = load("slack/event.app_home_opened.org.json", user=APPROVER)
    built = requests.event_payload(requests.app_home_opened(APPROVER), variant="org")
    assert missing(published, built) == []
    assert built["authorizations"][0]["team_id"] is None and built["authorizations"][0]["is_enterprise_install"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("slack/socket.slash_commands.json", "slash_commands"),
        ("slack/socket.events_api.app_mention.json", "events_api"),
        ("slack/socket.interactive.shortcut.json", "interactive"),
    ],
)
def test_socket_envelopes_have_the_published_fields_of_their_kind(requests, name, kind):
    published = load(name, **SLOTS)
    built = requests.socket_envelope(kind, {})
    assert set(published) == set(built)
    assert published["accepts_response_payload"] == built["accepts_response_payload"]
