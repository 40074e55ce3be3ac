"""Periodic jobs registered at every replica start: kept when unchanged, replaced when the settings changed."""

import time
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.deps import build_deps
from handlers.backups.service import FULL_JOB, INCREMENTAL_JOB, WATCH_JOB
from opsbot.capabilities import CAPABILITIES
from scheduler import build_scheduler, register_jobs
from scheduler.tasks import schedule


def _stored(scheduler):
    return {job.id: (job.next_run_time, str(job.trigger), job.args) for job in scheduler.get_jobs()}


def _replica_start(settings, database):
    """What a replica does at start: its own scheduler on the shared store, the jobs registered; then it stops."""
    deps = build_deps(settings, db=database)
    scheduler = build_scheduler(database, {})
    try:
        register_jobs(scheduler, deps, CAPABILITIES)  # on a stopped scheduler, as the runner calls it
        return _stored(scheduler)
    finally:
        scheduler.shutdown(wait=True)


def _backups(settings, minutes, cron="0 2 * * *"):
    return settings.model_copy(
        update={
            "datazone_domain_id": "dzd_1",
            "backup_table": "catalog-backup",
            "backup_incremental_minutes": minutes,
            "backup_full_cron": cron,
        }
    )


def test_a_restart_with_the_same_settings_keeps_each_next_run_time(settings, database):
    first = _replica_start(_backups(settings, 60), database)
    assert {FULL_JOB, INCREMENTAL_JOB, WATCH_JOB, "subscriptions.sweep", "publishing.sweep"} <= set(first)
    time.sleep(1.1)  # a rewritten interval job would now fall due a second later
    second = _replica_start(_backups(settings, 60), database)
    assert second == first


def test_a_changed_interval_or_cron_line_replaces_the_stored_job(settings, database):
    first = _replica_start(_backups(settings, 60), database)
    second = _replica_start(_backups(settings, 15, cron="0 3 * * *"), database)
    assert second[INCREMENTAL_JOB][1] == "interval[0:15:00]"
    assert second[INCREMENTAL_JOB][0] < first[INCREMENTAL_JOB][0] - timedelta(minutes=30)
    assert second[FULL_JOB][1] == "cron[month='*', day='*', day_of_week='*', hour='3', minute='0']"
    assert second[FULL_JOB][0] - first[FULL_JOB][0] in (timedelta(hours=1), timedelta(hours=-23))
    assert second[WATCH_JOB] == first[WATCH_JOB]  # its settings did not change, so it is kept


def test_changed_arguments_or_options_replace_the_stored_job(database):
    scheduler = build_scheduler(database, {})
    scheduler.start(paused=True)
    try:
        schedule(scheduler, "sweep", "sweep", "interval", "dzd_1", minutes=10)
        schedule(scheduler, "nightly", "nightly", CronTrigger.from_crontab("0 2 * * *", timezone="UTC"))
        schedule(scheduler, "catch-up", "catch-up", "interval", minutes=60, misfire_grace_time=None)
        before = _stored(scheduler)
        schedule(scheduler, "sweep", "sweep", "interval", "dzd_2", minutes=10)
        schedule(scheduler, "nightly", "nightly", CronTrigger.from_crontab("0 2 * * *", timezone="UTC"))
        schedule(scheduler, "catch-up", "catch-up", "interval", minutes=60, misfire_grace_time=300)
        after = _stored(scheduler)
        assert after["sweep"][2] == ("sweep", "dzd_2")
        assert scheduler.get_job("catch-up").misfire_grace_time == 300
        assert after["nightly"] == before["nightly"]
    finally:
        scheduler.shutdown(wait=True)
