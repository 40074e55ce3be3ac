"""No interactive payload, however malformed, crashes the app or gets past authorisation."""

import json
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.app import build_app
from bot.deps import build_deps
from bot.http import build_http_app
from bot.settings import load_settings
from opsbot.capabilities import CAPABILITIES
from sandbox.slack_requests import SlackRequests
from tests.conftest import POLICY, SIGNING_SECRET
from tests.harness import serve

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)

payloads = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "block_actions",
                "view_submission",
                "view_closed",
                "shortcut",
                "message_action",
                "block_suggestion",
                "unknown",
            ]
        )
    },
    optional={
        "user": st.fixed_dictionaries({"id": st.text(max_size=12)}) | json_values,
        "team": st.fixed_dictionaries({"id": st.just("T0OPSBOT")}),
        "actions": st.lists(st.fixed_dictionaries({"action_id": st.text(max_size=30)}) | json_values, max_size=2)
        | json_values,
        "view": st.fixed_dictionaries({"callback_id": st.text(max_size=30)}, optional={"type": st.just("modal")})
        | json_values,
        "channel": json_values,
        "response_url": st.just(""),
    },
)


@pytest.fixture(scope="module")
def http_app(tmp_path_factory, fake_slack_server):
    """HTTP mode on SQLite, shared by the examples (each example only reads)."""
    tmp = tmp_path_factory.mktemp("inbound")
    app_settings = load_settings(
        _env_file=None,
        slack_bot_token=fake_slack_server.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack_server.api_url,
        database_url=f"sqlite:///{tmp / 'opsbot.db'}",
    )
    deps = build_deps(app_settings, policy=POLICY)
    deps.db.migrate(CAPABILITIES)
    with (
        serve(build_http_app(deps, build_app(app_settings, deps, CAPABILITIES))) as url,
        httpx.Client(base_url=url) as client,
    ):
        yield client, deps
    deps.close()


# Garbage user and channel ids reach Slack in the bot's refusal notices, and Slack refuses those ids.
@pytest.mark.slack_refusals("channel_not_found", "invalid_arguments")
@settings(max_examples=300, deadline=None)
@given(payload=payloads)
def test_malformed_interactive_payloads_are_refused_not_crashed(http_app, payload):
    client, deps = http_app
    requests = SlackRequests(SIGNING_SECRET)
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"content-type": "application/x-www-form-urlencoded", **requests.sign(body)}
    response = client.post("/slack/events", content=body, headers=headers)
    assert response.status_code in (200, 400, 404), (response.status_code, response.text)
    # Nothing registered changes state on its own, so nothing may be recorded as done.
    assert all(entry.result == "denied" for entry in deps.audit.recent(limit=5))


events = st.fixed_dictionaries(
    {"type": st.sampled_from(["event_callback", "url_verification", "app_rate_limited", "other"])},
    optional={
        "event": json_values
        | st.fixed_dictionaries(
            {"type": st.text(max_size=20)},
            optional={"user": json_values, "tab": json_values, "subteam_id": json_values},
        ),
        "challenge": json_values,
        "team_id": json_values,
        "authorizations": json_values,
    },
)


@pytest.mark.slack_refusals("invalid_arguments")  # a Home tab for an empty user id
@settings(max_examples=200, deadline=None)
@given(event=events)
def test_malformed_signed_events_are_refused_not_crashed(http_app, event):
    client, _ = http_app
    body = json.dumps(event)
    headers = {"content-type": "application/json", **SlackRequests(SIGNING_SECRET).sign(body)}
    response = client.post("/slack/events", content=body, headers=headers)
    assert response.status_code in (200, 400, 404), (response.status_code, response.text)


@settings(max_examples=150, deadline=None)
@given(
    body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain"]),
)
def test_arbitrary_bodies_are_refused(http_app, body, content_type):
    client, _ = http_app
    assume(body != b"x")  # the one body whose signature is valid: it is then a well-signed unknown request
    headers = {"content-type": content_type, **SlackRequests(SIGNING_SECRET).sign("x")}
    response = client.post("/slack/events", content=body, headers=headers)
    assert response.status_code in (400, 401)
