"""Scheduled backups: registered from settings, run by the leader only, and what happens after downtime."""

from datetime import UTC, datetime

from bot.deps import build_deps
from handlers.backups.service import FULL_JOB, INCREMENTAL_JOB, WATCH_JOB
from opsbot.capabilities import CAPABILITIES
from sandbox.world import DOMAIN_ID
from scheduler import bound_tasks, build_scheduler, register_jobs
from scheduler.leader import LeaderElection
from scheduler.lease import Lease
from tests.harness import eventually


def test_jobs_come_from_settings(bot):
    ids = register_jobs(bot["scheduler"], bot["deps"], CAPABILITIES)
    assert {FULL_JOB, INCREMENTAL_JOB, WATCH_JOB} <= set(ids)
    full, incremental = bot["scheduler"].get_job(FULL_JOB), bot["scheduler"].get_job(INCREMENTAL_JOB)
    assert (full.coalesce, full.max_instances, full.misfire_grace_time) == (True, 1, 300)
    # A missed incremental run runs once when a leader is back, however late.
    assert (incremental.coalesce, incremental.misfire_grace_time) == (True, None)
    assert str(full.trigger) == "cron[month='*', day='*', day_of_week='*', hour='2', minute='0']"


def test_two_scheduler_instances_make_one_run(bot):
    settings = bot["settings"]
    elections, schedulers = [], []
    replicas = [bot["deps"], build_deps(settings)]
    try:
        for n, deps in enumerate(replicas):
            scheduler = build_scheduler(deps.db, bound_tasks(deps, CAPABILITIES))
            register_jobs(scheduler, deps, CAPABILITIES)
            schedulers.append(scheduler)
            elections.append(LeaderElection(Lease(deps.db, "scheduler", f"replica-{n}", ttl_seconds=30), scheduler))
        for election in elections:
            election.start()
        # Both replicas have registered their jobs (the second kept the stored ones); now the incremental run falls due.
        schedulers[1].modify_job(INCREMENTAL_JOB, next_run_time=datetime.now(UTC))
        for election in elections:
            election.tick()
        store = bot["service"].store
        eventually(lambda: [r for r in store.recent(DOMAIN_ID) if r.status != "running"], timeout=30)
        for election in elections:
            election.tick()  # both look at the shared job store again
        runs = store.recent(DOMAIN_ID)
        assert [(r.mode, r.trigger) for r in runs] == [("incremental", "schedule")]
        assert sum(e.is_leader for e in elections) == 1
    finally:
        for election in elections:
            election.stop()
        replicas[1].close()
