"""A reply that Slack refuses is logged and delivered another way: never silently lost.

slack_sdk's WebhookClient (behind Bolt's respond()) returns the response_url's HTTP status instead of
raising; the fake Slack is told to fail the response_url post, and the reply must still reach the user.
"""

import logging
from typing import Any

import pytest

from bot.app import build_app
from bot.authz import anyone
from bot.capability import Capability
from bot.commands import CommandRouter, Subcommand
from bot.registry import Interaction, Registry
from opsbot.capabilities import CAPABILITIES
from tests.bot.hostile import drain
from tests.conftest import MALLORY
from tests.harness import BoltDriver, eventually

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*the answer*"}}]


def replying_capability(registry: Registry) -> None:
    def answer(inv: Any) -> None:
        inv.respond(response_type="ephemeral", text="the answer", blocks=BLOCKS)

    def crash(_inv: Any) -> None:
        raise RuntimeError("boom")

    registry.command(
        CommandRouter(
            command="/reply",
            summary="replies",
            subcommands=[
                Subcommand("answer", "answer", anyone, handler=answer),
                Subcommand("crash", "crash", anyone, handler=crash),
            ],
        )
    )

    def click(interaction: Interaction) -> None:
        interaction.respond(replace_original=True, text="card updated")

    registry.action("reply.click", anyone, click)


@pytest.fixture
def driver(settings, sqlite_deps, requests_):
    return BoltDriver(
        build_app(settings, sqlite_deps, [*CAPABILITIES, Capability("replying", register=replying_capability)]),
        requests_,
    )


def _logged(caplog, event):
    return [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == event]


def test_refused_command_reply_is_logged_and_sent_as_an_ephemeral(driver, fake_slack, caplog):
    caplog.set_level(logging.WARNING)
    fake_slack.fail_next("response_url", 404)
    assert driver.command("/reply", "answer", user=MALLORY).status == 200
    fallback = fake_slack.wait_for("chat.postEphemeral")
    assert (fallback.body["channel"], fallback.body["user"]) == ("C0GENERAL", MALLORY)
    assert fallback.body["text"] == "the answer" and fallback.body["blocks"] == BLOCKS
    [failed] = _logged(caplog, "respond_failed")
    assert failed["failure"].startswith("HTTP 404") and failed["user"] == MALLORY


def test_refused_button_reply_falls_back_too(driver, fake_slack, caplog):
    caplog.set_level(logging.WARNING)
    fake_slack.fail_next("response_url", 404)
    driver.click("reply.click", user=MALLORY)
    fallback = fake_slack.wait_for("chat.postEphemeral")
    assert fallback.body["text"] == "card updated"
    assert _logged(caplog, "respond_failed")


def test_refused_error_reply_falls_back(driver, fake_slack, caplog):
    caplog.set_level(logging.WARNING)
    fake_slack.fail_next("response_url", 404)
    driver.command("/reply", "crash", user=MALLORY)
    fallback = fake_slack.wait_for("chat.postEphemeral")
    assert "error id" in fallback.body["text"]
    [failed] = _logged(caplog, "reply_failed")
    assert failed["via"] == "response_url" and failed["failure"].startswith("HTTP 404")


def test_refused_denial_falls_back(driver, fake_slack, caplog):
    caplog.set_level(logging.WARNING)
    fake_slack.fail_next("response_url", 500)
    driver.click("somebody.elses_button", user=MALLORY)
    fallback = fake_slack.wait_for("chat.postEphemeral")
    assert "does not know this action" in fallback.body["text"]
    assert _logged(caplog, "reply_failed")


def test_blocks_refused_on_the_fallback_are_sent_as_plain_text(driver, fake_slack, caplog):
    caplog.set_level(logging.WARNING)
    fake_slack.fail_next("response_url", 404)
    fake_slack.fail_next("chat.postEphemeral", 200, {"ok": False, "error": "invalid_blocks"})
    driver.command("/reply", "answer", user=MALLORY)
    eventually(lambda: len(fake_slack.calls_to("chat.postEphemeral")) == 2)
    with_blocks, plain = fake_slack.calls_to("chat.postEphemeral")
    assert with_blocks.body["blocks"] == BLOCKS
    assert plain.body["text"] == "the answer" and "blocks" not in plain.body
    [refused] = _logged(caplog, "reply_fallback_failed")
    assert refused["error"] == "invalid_blocks"


def test_no_ephemeral_possible_means_a_dm(driver, fake_slack):
    fake_slack.fail_next("response_url", 404)
    fake_slack.fail_next("chat.postEphemeral", 200, {"ok": False, "error": "channel_not_found"}, times=2)
    driver.command("/reply", "answer", user=MALLORY)
    dm = fake_slack.wait_for("chat.postMessage")
    assert dm.body["channel"] == MALLORY and dm.body["text"] == "the answer"


def test_accepted_reply_is_not_repeated(driver, fake_slack, sqlite_deps):
    driver.command("/reply", "answer", user=MALLORY)
    drain(sqlite_deps)
    [reply] = fake_slack.calls_to("response_url")
    assert reply.body["text"] == "the answer"
    assert fake_slack.calls_to("chat.postEphemeral") == [] and fake_slack.calls_to("chat.postMessage") == []
