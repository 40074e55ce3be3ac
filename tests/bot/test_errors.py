"""One error handler: the user gets a short private answer with an error id; the log gets the traceback."""

import logging
import re
from typing import Any

import pytest

from bot.app import build_app
from bot.authz import anyone
from bot.capability import Capability
from bot.commands import CommandRouter, Subcommand
from bot.errors import NotFound
from bot.registry import Interaction, Registry
from opsbot.capabilities import CAPABILITIES
from tests.conftest import MALLORY
from tests.harness import BoltDriver


def failing_capability(registry: Registry) -> None:
    def boom(_inv: Any) -> None:
        raise RuntimeError("secret-ish internal detail")

    def missing(_inv: Any) -> None:
        raise NotFound("No asset called `sales` in the catalog.")

    router = CommandRouter(
        command="/broken",
        summary="fails",
        subcommands=[
            Subcommand("boom", "crash", anyone, handler=boom),
            Subcommand("missing", "typed error", anyone, handler=missing),
        ],
    )
    registry.command(router)

    def click(_interaction: Interaction) -> None:
        raise ValueError("button failed")

    registry.action("broken.click", anyone, click)

    def check(_body: dict[str, Any]) -> dict[str, str] | None:
        raise ValueError("check failed")

    def submitted(_interaction: Interaction) -> None:
        SUBMITTED.append(True)

    registry.view("broken.modal", anyone, submitted, check=check)


# What the broken modal's handler did: nothing, if its check failed.
SUBMITTED: list[bool] = []


@pytest.fixture
def driver(settings, sqlite_deps, requests_):
    return BoltDriver(
        build_app(settings, sqlite_deps, [*CAPABILITIES, Capability("failing", register=failing_capability)]), requests_
    )


def test_unexpected_error_gets_an_error_id(driver, fake_slack, caplog, sqlite_deps):
    caplog.set_level(logging.ERROR)
    response = driver.command("/broken", "boom", user=MALLORY)
    assert response.status == 200  # acked before the failure
    reply = fake_slack.wait_for("response_url")
    assert reply.body["response_type"] == "ephemeral"
    match = re.search(r"error id `([0-9a-f]{8})`", reply.body["text"])
    assert match, reply.body["text"]
    assert "secret-ish" not in reply.body["text"]
    [logged] = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg["event"] == "listener_failed"]
    assert logged["error_id"] == match.group(1)
    assert isinstance(logged["exc_info"], RuntimeError)  # rendered as a traceback by the formatter
    assert sqlite_deps.metrics.listener_errors._value.get() == 1


def test_fast_failing_handlers_are_still_acknowledged(driver, fake_slack):
    # Bolt's sync runner drops an ack followed quickly by an exception; Slack would show a failure.
    for _ in range(10):
        assert driver.command("/broken", "missing", user=MALLORY).status == 200
    assert len([c for c in fake_slack.calls if c.method == "response_url"]) >= 1


def test_typed_error_message_is_shown_as_is(driver, fake_slack):
    driver.command("/broken", "missing", user=MALLORY)
    reply = fake_slack.wait_for("response_url")
    assert reply.body["text"] == ":warning: No asset called `sales` in the catalog."


def test_error_after_a_click_in_a_channel(driver, fake_slack):
    assert driver.click("broken.click", user=MALLORY, response_url="").status == 200
    reply = fake_slack.wait_for("chat.postEphemeral")
    assert reply.body["user"] == MALLORY and "error id" in reply.body["text"]


def test_a_modal_whose_check_fails_closes_reports_and_does_nothing(driver, fake_slack, caplog):
    caplog.set_level(logging.ERROR)
    response = driver.submit("broken.modal", user=MALLORY)
    assert response.status == 200 and not response.body  # acked: the modal closes, not left hanging
    failures = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg["event"] == "listener_failed"]
    assert [type(f["exc_info"]) for f in failures] == [ValueError]
    assert SUBMITTED == []
