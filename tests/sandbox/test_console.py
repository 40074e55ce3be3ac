"""The console and the demo script, as a user runs them."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.inbox.store import HandledEvent
from sandbox.console import Console, ConsoleError
from sandbox.runtime import start_sandbox
from sandbox.world import CLUSTER_ID

ROOT = Path(__file__).resolve().parents[2]


def test_demo_script_passes_through_the_cli(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "opsbot", "console", "--script", str(ROOT / "demo.txt")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "FAILED" not in result.stdout
    assert "(inbox) aws.cloudwatch / CloudWatch Alarm Notification" in result.stdout


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("console")
    box = start_sandbox(workdir)
    console = Console(box, workdir)
    yield console
    console.close()
    box.stop()


def test_failed_expectation_and_unknown_command_fail_the_step(session):
    session.run("/backup help")
    with pytest.raises(ConsoleError, match="expected 'nothing like this'"):
        session.run("expect nothing like this")
    with pytest.raises(ConsoleError, match="unknown console command"):
        session.run("dance")
    with pytest.raises(ConsoleError, match="no user"):
        session.run("as mallory")


def test_press_and_submit_need_something_to_act_on(session):
    session.run("/cluster help")
    with pytest.raises(ConsoleError, match="the last output has 0 buttons"):
        session.run("press 1")
    with pytest.raises(ConsoleError, match="no modal is open"):
        session.run("submit reason.value=because")


def test_a_script_that_fails_exits_non_zero(tmp_path):
    script = tmp_path / "bad.txt"
    script.write_text("/backup help\nexpect a line that is not there\n")
    result = subprocess.run(
        [sys.executable, "-m", "opsbot", "console", "--script", str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "FAILED at bad.txt:2" in result.stdout and "1 step(s) failed" in result.stderr


def _eventually(check, limit=20.0):
    # The bot handles events on its own thread: wait (bounded) for the outcome, then assert on it.
    deadline = time.monotonic() + limit
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)
    return check()


def _handled(console, detail_type):
    with console.deps.db.session() as db:
        return db.scalars(select(HandledEvent).where(HandledEvent.detail_type == detail_type)).all()


def test_a_decision_in_the_portal_is_made_as_that_datazone_user_and_announced_by_datazone(session):
    session.run("simulate subscription-request customer_pii")
    request = session.last_request
    session.run(f"simulate decide {request} reject as alice")
    dz = session.sandbox.client("datazone")
    detail = dz.get_subscription_request_details(domainIdentifier=session.sandbox.world.domain_id, identifier=request)
    assert (detail["status"], detail["reviewerId"]) == ("REJECTED", "usr_alice")
    assert _eventually(lambda: _handled(session, "Subscription Request Rejected"))
    with pytest.raises(ConsoleError, match=r"DataZone refused: .*already REJECTED"):
        session.run(f"simulate decide {request} accept as alice")
    with pytest.raises(ConsoleError, match="no DataZone user 'mallory'"):
        session.run(f"simulate decide {request} accept as mallory")
    with pytest.raises(ConsoleError, match="simulate subscription-request"):
        session.run(f"simulate decide {request} maybe as alice")


def test_an_asset_deleted_in_the_portal_is_gone_from_datazone(session):
    world = session.sandbox.world
    session.run("simulate delete-asset store_locations")
    dz = session.sandbox.client("datazone")
    with pytest.raises(dz.exceptions.ResourceNotFoundException):
        dz.get_asset(domainIdentifier=world.domain_id, identifier=world.assets["store_locations"])
    assert _eventually(lambda: _handled(session, "Asset Listing Deleted"))
    with pytest.raises(ConsoleError, match="no asset named 'store_locations'"):
        session.run("simulate delete-asset store_locations")


def test_simulated_alarms_set_the_alarm_state_in_cloudwatch(session):
    cloudwatch = session.sandbox.client("cloudwatch")
    name = f"opsbot-{CLUSTER_ID}-MultiMasterInstanceGroupNodesRunning"
    for state in ("ALARM", "OK"):
        session.run(f"simulate alarm sales-analytics-ha {state}")
        assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == state
