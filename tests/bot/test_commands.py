"""The five slash commands answer help, usage and not-yet-available forms, whatever is typed."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ADMIN, MALLORY
from tests.harness import eventually

COMMANDS = ["/subscriptions", "/publish", "/backup", "/cluster", "/protein"]


def _text(response) -> str:
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    return body["text"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_every_form(slack, command):
    text = _text(slack.command(command, "help", user=MALLORY))
    assert text.startswith(f"*{command}*")
    assert f"`{command} help`" in text


def test_usage_matches_the_public_interface(slack):
    text = _text(slack.command("/subscriptions", "help", user=MALLORY))
    for form in [
        "show <request-id>",
        "approve <request-id> [filter=<name>[,<name>…]] [<N>d] [comment]",
        "reject <request-id> <reason>",
        "access <asset>",
        "revoke <subscription-id> [reason]",
    ]:
        assert f"/subscriptions {form}" in text
    assert "/publish <asset>" in _text(slack.command("/publish", "help", user=MALLORY))
    assert "/cluster silence <cluster> <duration>" in _text(slack.command("/cluster", "", user=MALLORY))


@pytest.mark.parametrize("command", ["/subscriptions", "/backup", "/cluster"])
def test_unknown_subcommand_gets_usage(slack, command):
    text = _text(slack.command(command, "frobnicate now", user=ADMIN))
    assert "Unknown subcommand `frobnicate`" in text
    assert f"`{command} help`" in text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(COMMANDS), text=st.text(max_size=300), user=st.sampled_from([ADMIN, MALLORY]))
def test_no_typed_text_crashes_a_command(slack, fake_slack, command, text, user):
    answered = len(fake_slack.calls_to("response_url"))
    response = slack.command(command, text, user=user)
    assert response.status == 200
    body = json.loads(response.body) if response.body else {}
    if body:
        # Answered in the ack: usage, help, a refusal or "not available yet", always private.
        assert body.get("response_type") == "ephemeral" and body.get("text")
        return
    # Acked at once, answered after: privately, and with a clear message rather than an error id.
    eventually(lambda: len(fake_slack.calls_to("response_url")) > answered)
    reply = fake_slack.calls_to("response_url")[answered].body
    assert reply.get("response_type") == "ephemeral" and "error id" not in reply.get("text", "")


@pytest.mark.parametrize("text", ["payload", "help payload looks fine"])
def test_text_containing_the_word_payload_is_still_a_command(slack, text):
    # Bolt alone would parse this form body as an empty interactive payload and never answer.
    assert "/subscriptions" in _text(slack.command("/subscriptions", text, user=ADMIN))


def test_overlong_text_gets_a_clear_answer(slack):
    text = _text(slack.command("/protein", "M" * 5000, user=MALLORY))
    assert "could not be read" in text
