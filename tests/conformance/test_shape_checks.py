"""The shape checks in front of Bolt pass every published Slack payload, whatever the install kind."""

from __future__ import annotations

import pytest

from bot.payloads import event_problem, http_body_problem, interactive_problem
from sandbox.slack_requests import VARIANTS, SlackRequests
from tests.conformance.corpus import load, names
from tests.conformance.test_builders import SLOTS

SLACK = names("slack")


def _payload(name: str):
    """The payload inside a published file: Socket Mode envelopes carry it under `payload`."""
    document = load(name, **SLOTS)
    return (document["type"], document["payload"]) if "envelope_id" in document else (None, document)


@pytest.mark.parametrize("name", SLACK)
def test_every_published_payload_passes_the_socket_mode_checks(name):
    kind, payload = _payload(name)
    if kind == "events_api" or (kind is None and payload.get("type") == "event_callback"):
        assert event_problem(payload) is None
    elif kind == "interactive" or (kind is None and "type" in payload):
        assert interactive_problem(payload) is None
    else:
        assert "command" in payload  # slash commands are not shape-checked: they are flat text fields


@pytest.mark.parametrize("name", SLACK)
def test_every_published_payload_passes_the_http_checks(name):
    requests = SlackRequests("secret")
    _, payload = _payload(name)
    if "command" in payload:
        body, headers = requests.form({k: str(v) for k, v in payload.items()})
    elif payload.get("type") == "event_callback":
        body, headers = requests.json(payload)
    else:
        body, headers = requests.interactive(payload)
    assert http_body_problem(body.encode(), headers["content-type"]) is None


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_builder_variant_passes_the_checks(variant):
    requests = SlackRequests("secret", response_url=SLOTS["response_url"])
    view = requests.view_payload("", user_id="U1", variant=variant)
    payloads = [
        requests.block_actions_payload(requests.button("a", "v"), user_id="U1", variant=variant),
        requests.block_actions_payload(requests.static_select("a", "1"), user_id="U1", variant=variant, ephemeral=True),
        requests.block_actions_payload(requests.datepicker("a", None), user_id="U1", view=view, variant=variant),
        requests.view_submission_payload("c", user_id="U1", variant=variant),
        requests.view_closed_payload("c", user_id="U1", variant=variant),
    ]
    for payload in payloads:
        assert interactive_problem(payload) is None, payload["type"]
    assert event_problem(requests.event_payload(requests.app_home_opened("U1"), variant=variant)) is None
