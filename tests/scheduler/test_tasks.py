"""Jobs live in the bot's database: they survive restarts, reach the leader, and name their task."""

import logging
from datetime import UTC, datetime, timedelta

from scheduler import build_scheduler
from scheduler.leader import LeaderElection
from scheduler.lease import Lease
from scheduler.tasks import schedule
from tests.harness import eventually


def _later(seconds):
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_stored_job_runs_after_a_restart(database):
    first = build_scheduler(database, {})
    first.start(paused=True)
    schedule(first, "revoke-sub-1", "subscriptions.revoke", "date", "dzd_1", "sub-1", run_date=_later(1))
    first.shutdown(wait=True)  # the process stops before the job is due

    done = []
    second = build_scheduler(database, {"subscriptions.revoke": lambda domain, sub: done.append((domain, sub))})
    second.start()
    try:
        # Stop only once the run is recorded: a shutdown between a run and its removal leaves the job stored
        # (APScheduler then looks for it among pending jobs), and it would run again after a restart.
        eventually(lambda: done and not second.get_jobs(), timeout=15)
    finally:
        second.shutdown(wait=True)
    assert done == [("dzd_1", "sub-1")]
    assert second.get_jobs() == []  # a date job is gone once run


def test_a_job_added_on_a_follower_runs_on_the_leader(database):
    done = []
    tasks = {"ping": lambda who: done.append(who)}
    leader = LeaderElection(Lease(database, "scheduler", "leader", ttl_seconds=3), build_scheduler(database, tasks))
    follower_scheduler = build_scheduler(database, tasks)
    follower = LeaderElection(Lease(database, "scheduler", "follower", ttl_seconds=3), follower_scheduler)
    leader.start()
    follower.start()
    try:
        assert leader.is_leader and not follower.is_leader
        schedule(follower_scheduler, "ping-1", "ping", "date", "from-follower", run_date=_later(0.2))
        leader.tick()  # the leader looks for new jobs at every renewal
        eventually(lambda: done and not follower_scheduler.get_jobs(), timeout=15)  # run and removed
    finally:
        follower.stop()
        leader.stop()
    assert done == ["from-follower"]


def test_an_unknown_task_is_logged_and_the_scheduler_goes_on(database, caplog):
    done = []
    scheduler = build_scheduler(database, {"known": lambda: done.append(1)})
    scheduler.start()
    try:
        schedule(scheduler, "gone", "removed.in.this.version", "date", run_date=_later(0.1))
        schedule(scheduler, "ok", "known", "date", run_date=_later(0.3))
        eventually(lambda: done and not scheduler.get_jobs(), timeout=15)  # run and removed
    finally:
        scheduler.shutdown(wait=True)
    assert any(
        "no task named 'removed.in.this.version'" in r.getMessage()
        or (r.exc_info and "removed.in.this.version" in str(r.exc_info[1]))
        for r in caplog.records
    )


def test_a_run_missed_beyond_the_grace_time_is_skipped_not_run_late(database, caplog):
    caplog.set_level(logging.WARNING)
    done = []
    scheduler = build_scheduler(database, {"late": lambda: done.append(1)})
    scheduler.start(paused=True)
    schedule(scheduler, "late-1", "late", "date", run_date=datetime.now(UTC) - timedelta(hours=2))
    scheduler.resume()
    try:
        eventually(lambda: scheduler.get_jobs() == [], timeout=15)
    finally:
        scheduler.shutdown(wait=True)
    assert done == []
    assert any("was missed by" in r.getMessage() for r in caplog.records)
