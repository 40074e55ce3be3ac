"""Deny by default: a user without the role is refused, told why, and nothing changes."""

import json

import pytest

from bot.app import build_app
from bot.authz import admin, project_approver
from bot.capability import Capability
from bot.commands import CommandRouter, Subcommand
from bot.registry import Interaction, Registry
from opsbot.capabilities import CAPABILITIES
from tests.conftest import ADMIN, ALICE, BOB, MALLORY
from tests.harness import BoltDriver, eventually


class Counter:
    """The state a guarded action changes: a number, and the audit row it writes."""

    def __init__(self) -> None:
        self.value = 0


def counter_capability(counter: Counter):
    """A minimal capability with one guarded command form, one guarded button and one guarded modal."""

    def bump(registry: Registry, actor: str, target: str) -> None:
        registry.kernel.audit.record(actor=actor, action="test.bump", target=target, result="ok")
        counter.value += 1

    def register(registry: Registry) -> None:
        router = CommandRouter(
            command="/counter",
            summary="test counter",
            subcommands=[
                Subcommand("bump", "add one", admin, handler=lambda inv: bump(registry, inv.command.user_id, "command"))
            ],
        )
        registry.command(router)

        def on_click(interaction: Interaction) -> None:
            bump(registry, interaction.user_id, "button")

        def on_submit(interaction: Interaction) -> None:
            bump(registry, interaction.user_id, "modal")

        project_of = lambda body: (body.get("actions") or [{}])[0].get("value")  # noqa: E731
        registry.action("test.bump", project_approver(project_of), on_click)
        registry.view("test.bump_modal", admin, on_submit)

    return Capability("counter", register=register)


@pytest.fixture
def counter():
    return Counter()


@pytest.fixture
def driver(settings, sqlite_deps, requests_, counter):
    app = build_app(settings, sqlite_deps, [*CAPABILITIES, counter_capability(counter)])
    return BoltDriver(app, requests_)


def _audit(deps, result):
    return [e for e in deps.audit.recent() if e.result == result]


def test_admin_command_refused_for_non_admin(driver, counter, sqlite_deps, fake_slack):
    response = driver.command("/counter", "bump", user=MALLORY)
    assert json.loads(response.body) == {
        "response_type": "ephemeral",
        "text": ":no_entry: Only opsbot admins can do this. The admins are listed in the policy file.",
    }
    assert counter.value == 0
    assert _audit(sqlite_deps, "ok") == []
    [denied] = _audit(sqlite_deps, "denied")
    assert (denied.actor, denied.action) == (MALLORY, "/counter bump")


def test_admin_command_allowed_for_admin(driver, counter, fake_slack, sqlite_deps):
    driver.command("/counter", "bump", user=ADMIN)
    eventually(lambda: counter.value == 1)
    assert [e.actor for e in _audit(sqlite_deps, "ok")] == [ADMIN]


@pytest.mark.parametrize("user", [ALICE, BOB, ADMIN])
def test_project_approvers_and_admins_may_click(driver, counter, fake_slack, user):
    driver.click("test.bump", user=user, value="prj_sales")
    eventually(lambda: counter.value == 1)


def test_non_approver_click_refused_and_told_why(driver, counter, fake_slack, sqlite_deps):
    response = driver.click("test.bump", user=MALLORY, value="prj_sales")
    assert response.status == 200
    reply = fake_slack.wait_for("response_url")
    assert reply.body["response_type"] == "ephemeral"
    assert "Only the approvers of Sales producer (or opsbot admins)" in reply.body["text"]
    assert counter.value == 0
    assert _audit(sqlite_deps, "ok") == []


def test_approver_of_another_project_is_refused(driver, counter, fake_slack):
    driver.click("test.bump", user=ALICE, value="prj_marketing")
    reply = fake_slack.wait_for("response_url")
    assert "Only the approvers of prj_marketing" in reply.body["text"]
    assert counter.value == 0


def test_click_in_a_modal_is_refused_by_ephemeral_dm(driver, counter, fake_slack):
    driver.click("test.bump", user=MALLORY, value="prj_sales", channel_id=None)
    dm = fake_slack.wait_for("chat.postMessage")
    assert dm.body["channel"] == MALLORY and "Only the approvers" in dm.body["text"]
    assert counter.value == 0


def test_modal_submission_refused(driver, counter, sqlite_deps):
    response = driver.submit("test.bump_modal", user=MALLORY)
    body = json.loads(response.body)
    assert body["response_action"] == "update"
    assert "Only opsbot admins" in body["view"]["blocks"][0]["text"]["text"]
    assert counter.value == 0


def test_unknown_button_is_refused(driver, fake_slack, sqlite_deps):
    driver.click("somebody.elses_button", user=ADMIN)
    reply = fake_slack.wait_for("response_url")
    assert "does not know this action" in reply.body["text"]
    [denied] = _audit(sqlite_deps, "denied")
    assert denied.action == "somebody.elses_button"


def test_group_membership_is_loaded_at_start_and_served_from_memory(driver, fake_slack, counter):
    for _ in range(3):
        driver.click("test.bump", user=BOB, value="prj_sales")
    eventually(lambda: counter.value == 3)
    # Loaded once when the app was built; clicks never asked Slack.
    assert len(fake_slack.calls_to("usergroups.users.list")) == 1


def test_removed_member_is_refused_as_soon_as_the_event_arrives(driver, fake_slack, counter):
    driver.click("test.bump", user=BOB, value="prj_sales")
    eventually(lambda: counter.value == 1)
    fake_slack.workspace.usergroups["S0APPROVERS"] = []
    driver.event(
        {
            "type": "subteam_members_changed",
            "subteam_id": "S0APPROVERS",
            "team_id": "T0OPSBOT",
            "date_previous_update": 1446670362,
            "date_update": 1492906952,
            "added_users": [],
            "added_users_count": "0",
            "removed_users": [BOB],
            "removed_users_count": "1",
        }
    )
    # The event's listener runs on a worker; then the group is refetched in the background.
    eventually(lambda: len(fake_slack.calls_to("usergroups.users.list")) == 2)
    driver.click("test.bump", user=BOB, value="prj_sales")
    reply = fake_slack.wait_for("response_url")
    assert "Only the approvers" in reply.body["text"]
    assert counter.value == 1


def test_added_member_is_allowed_after_the_refresh(driver, fake_slack, counter, sqlite_deps):
    fake_slack.workspace.usergroups["S0APPROVERS"] = [BOB, MALLORY]
    driver.event({"type": "subteam_members_changed", "subteam_id": "S0APPROVERS", "added_users": [MALLORY]})
    # The Slack call is recorded before its answer is stored, so wait for the directory itself.
    eventually(lambda: sqlite_deps.groups.is_member(MALLORY, ["S0APPROVERS"]))
    assert len(fake_slack.calls_to("usergroups.users.list")) == 2
    driver.click("test.bump", user=MALLORY, value="prj_sales")
    eventually(lambda: counter.value == 1)


@pytest.fixture
def unloaded_driver(settings, sqlite_deps, requests_, counter, fake_slack):
    """The app built while Slack does not know the approvers' group: its membership stays unknown."""
    fake_slack.workspace.usergroups.pop("S0APPROVERS")
    app = build_app(settings, sqlite_deps, [*CAPABILITIES, counter_capability(counter)])
    return BoltDriver(app, requests_)


@pytest.mark.slack_refusals("no_such_subteam")
def test_unknown_group_membership_denies_and_says_try_again(unloaded_driver, fake_slack, counter):
    unloaded_driver.click("test.bump", user=BOB, value="prj_sales")
    reply = fake_slack.wait_for("response_url")
    assert "Only the approvers" in reply.body["text"]
    assert "try again in a moment" in reply.body["text"]
    assert counter.value == 0
    # Users named directly in the policy are not held up by the groups.
    unloaded_driver.click("test.bump", user=ALICE, value="prj_sales")
    eventually(lambda: counter.value == 1)
