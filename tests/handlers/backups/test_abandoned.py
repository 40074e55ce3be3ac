"""Runs whose process died: abandoned by the next run, status or apply, never a block; a live run still refuses."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from handlers.backups.engine import FULL, new_run_id
from handlers.backups.store import BackupRun, RestorePlan
from sandbox.runtime import ADMIN, ANALYST
from sandbox.world import DOMAIN_ID, RECOVERY_DOMAIN_ID
from scheduler.heartbeat import Heartbeat
from scheduler.lease import Lease
from tests.handlers.backups.helpers import command, reply
from tests.harness import eventually


def _left_running(bot, minutes_ago):
    """A run record as a process that died `minutes_ago` leaves it: running, its heartbeat that old."""
    run_id = new_run_id()
    bot["service"].store.start(run_id, DOMAIN_ID, FULL, "schedule")
    then = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    with bot["deps"].db.session() as session:
        run = session.get(BackupRun, run_id)
        run.started_at = run.heartbeat_at = then
    return run_id


@pytest.mark.usefixtures("leading")
def test_a_run_left_running_an_hour_ago_is_abandoned_and_the_next_run_proceeds(bot):
    dead = _left_running(bot, 60)  # well inside the old six-hour block
    command(bot, "", ANALYST)
    status = json.dumps(reply(bot, lambda b: "Catalog backups" in b).body)
    assert f"`{dead}` full: abandoned, abandoned: its process stopped" in status
    assert "is running" not in status
    command(bot, "run", ADMIN)
    done = bot["box"].slack.wait_for("chat.update", lambda c: "Backup `" in c.body.get("text", ""), timeout=90)
    assert "(full) succeeded" in done.body["text"]
    command(bot, "history 5", ANALYST)
    history = json.dumps(reply(bot, lambda b: "Backup runs, newest first" in b).body)
    assert f"`{dead}` full by schedule: *abandoned*" in history
    assert f"full by {ADMIN}: *succeeded*" in history


def test_a_run_whose_holder_is_alive_refuses_another(bot):
    # Another replica's run: its record is fresh and it holds the domain's run lease.
    other = new_run_id()
    bot["service"].store.start(other, DOMAIN_ID, FULL, "schedule")
    lease = Lease(bot["deps"].db, f"backups:{DOMAIN_ID}", other, 30)
    assert lease.acquire()
    response = command(bot, "run", ADMIN)
    assert response.status == 200
    refused = reply(bot, lambda b: "still running" in b)
    assert f"`{other}` (full) is still running" in json.dumps(refused.body)
    assert [r.run_id for r in bot["service"].store.recent(DOMAIN_ID)] == [other]
    # That replica dies: its lease is released or expires, and the next run takes over.
    lease.release()
    finished = bot["service"].run(FULL, ADMIN)
    assert finished.status == "succeeded"
    assert bot["service"].store.get(other).status == "abandoned"


def test_an_apply_left_applying_is_abandoned_and_can_be_applied_again(bot):
    service = bot["service"]
    service.run(FULL, "test")
    plan = service.plan(RECOVERY_DOMAIN_ID, ADMIN)
    assert service.store.claim_plan(plan.plan_id)  # a process started applying it ...
    with bot["deps"].db.session() as session:  # ... and died an hour ago
        session.get(RestorePlan, plan.plan_id).heartbeat_at = datetime.now(UTC) - timedelta(hours=1)
    assert service.get_plan_now(plan.plan_id).status == "abandoned"
    command(bot, f"restore apply {plan.plan_id}", ADMIN)
    reply(bot, lambda b: "backups.apply_plan" in b)  # offered again, with the confirm step
    result = service.apply(plan.plan_id, ADMIN)
    assert result.created == 10 and not result.failed
    assert service.get_plan(plan.plan_id).status == "applied"


def test_an_apply_in_progress_is_not_taken_over(bot):
    service = bot["service"]
    service.run(FULL, "test")
    plan = service.plan(RECOVERY_DOMAIN_ID, ADMIN)
    assert service.store.claim_plan(plan.plan_id)  # applying now, heartbeat fresh
    assert service.get_plan_now(plan.plan_id).status == "applying"
    assert not service.store.claim_plan(plan.plan_id)


def test_the_heartbeat_beats_while_the_run_works_and_stops_after():
    beats = []

    def beat():
        beats.append(1)
        return len(beats) < 3  # the claim is lost at the third beat

    with Heartbeat("run-1", beat, 0.01) as heartbeat:
        eventually(lambda: len(beats) >= 4)
    seen = len(beats)
    assert heartbeat.lost
    assert not any(t.name == "opsbot-heartbeat-run-1" for t in threading.enumerate())
    assert len(beats) == seen
