"""Slack rate-limiting usergroups.users.list never holds up an acknowledgement.

Each test counts the usergroups.users.list calls at the moment the ack came back: a click that waited for
Slack's retry would find the retry already made.
"""

import dataclasses

import pytest

from bot.app import build_app
from bot.authz import Access, project_approver
from bot.capability import Capability
from bot.directory import GroupDirectory
from bot.registry import Interaction, Registry
from bot.slack_client import build_slack_client
from opsbot.capabilities import CAPABILITIES
from tests.conftest import BOB, POLICY
from tests.harness import BoltDriver, eventually

RATE_LIMITED = {"ok": False, "error": "ratelimited"}


class Clicks:
    def __init__(self) -> None:
        self.done = 0


def approval_capability(clicks: Clicks):
    def register(registry: Registry) -> None:
        def approve(_interaction: Interaction) -> None:
            clicks.done += 1

        project_of = lambda body: body["actions"][0].get("value")  # noqa: E731
        registry.action("test.approve", project_approver(project_of), approve)

    return Capability("approval", register=register)


class Clock:
    """Monotonic time the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lookups(fake_slack):
    return len(fake_slack.calls_to("usergroups.users.list"))


@pytest.fixture
def clicks():
    return Clicks()


def _driver(settings, deps, requests_, clicks):
    app = build_app(settings, deps, [*CAPABILITIES, approval_capability(clicks)])
    return BoltDriver(app, requests_)


@pytest.fixture
def clock_deps(sqlite_deps):
    """The shared deps with a group directory on a clock the test moves."""
    clock = Clock()
    groups = GroupDirectory(sqlite_deps.slack, ttl_seconds=300, clock=clock)
    yield clock, dataclasses.replace(sqlite_deps, groups=groups, access=Access(POLICY, groups))
    groups.close()


def test_cold_cache_under_rate_limit_refuses_at_once_and_recovers(settings, clock_deps, requests_, fake_slack, clicks):
    clock, deps = clock_deps
    # Slack answers the start-up load with 429 and Retry-After: 30.
    fake_slack.fail_next("usergroups.users.list", 429, RATE_LIMITED, {"Retry-After": "30"})
    driver = _driver(settings, deps, requests_, clicks)
    assert lookups(fake_slack) == 1

    response = driver.click("test.approve", user=BOB, value="prj_sales")
    at_ack = lookups(fake_slack)
    assert response.status == 200
    assert at_ack == 1  # the ack did not wait for the retry
    reply = fake_slack.wait_for("response_url")
    assert "try again in a moment" in reply.body["text"]
    assert clicks.done == 0

    # Once Retry-After has passed, the refresher loads the group in the background; then BOB gets through.
    clock.now += 31
    eventually(lambda: deps.groups.is_member(BOB, ["S0APPROVERS"]))
    assert lookups(fake_slack) == 2
    driver.click("test.approve", user=BOB, value="prj_sales")
    eventually(lambda: clicks.done == 1)
    assert lookups(fake_slack) == 2


def test_warm_cache_under_rate_limit_answers_from_memory(settings, clock_deps, requests_, fake_slack, clicks):
    clock, deps = clock_deps
    driver = _driver(settings, deps, requests_, clicks)
    assert lookups(fake_slack) == 1

    # Half the TTL on, the background refresh meets a 429 that asks for a long wait.
    fake_slack.fail_next("usergroups.users.list", 429, RATE_LIMITED, {"Retry-After": "600"})
    clock.now += 151
    eventually(lambda: lookups(fake_slack) == 2)

    response = driver.click("test.approve", user=BOB, value="prj_sales")
    assert response.status == 200 and lookups(fake_slack) == 2
    eventually(lambda: clicks.done == 1)

    # Past the TTL with Slack still pausing us, membership is unknown: refused at once, no call made.
    clock.now += 150
    response = driver.click("test.approve", user=BOB, value="prj_sales")
    assert response.status == 200 and lookups(fake_slack) == 2
    reply = fake_slack.wait_for("response_url")
    assert "try again in a moment" in reply.body["text"]
    assert clicks.done == 1


def test_a_removal_announced_while_a_fetch_is_in_flight_is_not_undone_by_its_answer(settings, fake_slack):
    directory = GroupDirectory(build_slack_client(settings), ttl_seconds=300)
    fake_slack.workspace.usergroups["S0APPROVERS"] = ["U0BOB", "U0CAROL"]
    directory.start(["S0APPROVERS"])
    assert directory.is_member("U0BOB", ["S0APPROVERS"])

    def removal_announced_meanwhile(_body):
        # Slack's subteam_members_changed arrives while this fetch is on its way; the fetch answers the old list.
        fake_slack.workspace.usergroups["S0APPROVERS"] = ["U0CAROL"]
        directory.invalidate("S0APPROVERS", removed=["U0BOB"])
        return True

    stale = {"ok": True, "users": ["U0BOB", "U0CAROL"]}
    fake_slack.fail_next("usergroups.users.list", 200, stale, when=removal_announced_meanwhile)
    directory.invalidate("S0APPROVERS")  # some other change: the refresher fetches the group now
    lookups = lambda: len(fake_slack.calls_to("usergroups.users.list"))  # noqa: E731
    eventually(lambda: lookups() >= 2)  # the stale answer, then the fetch it made due at once
    eventually(lambda: directory.members("S0APPROVERS") == frozenset({"U0CAROL"}))
    assert not directory.is_member("U0BOB", ["S0APPROVERS"])
    directory.close()
