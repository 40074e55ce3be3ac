"""One scheduler leader among replicas, by a lease in the bot's database (SQLite and PostgreSQL)."""

import threading

from apscheduler.schedulers.background import BackgroundScheduler

from scheduler import build_scheduler
from scheduler.leader import LeaderElection
from scheduler.lease import Lease
from tests.harness import eventually


class Clock:
    def __init__(self):
        self.now = 1_000.0

    def __call__(self):
        return self.now


def test_only_one_replica_holds_the_lease(database):
    clock = Clock()
    a = Lease(database, "scheduler", "replica-a", ttl_seconds=30, clock=clock)
    b = Lease(database, "scheduler", "replica-b", ttl_seconds=30, clock=clock)
    assert a.acquire() is True
    assert b.acquire() is False
    clock.now += 20
    assert a.acquire() is True  # renewed
    clock.now += 20
    assert b.acquire() is False  # a's renewal keeps it alive
    assert a.current_holder() == "replica-a"


def test_an_expired_lease_is_taken_over(database):
    clock = Clock()
    a = Lease(database, "scheduler", "replica-a", ttl_seconds=30, clock=clock)
    b = Lease(database, "scheduler", "replica-b", ttl_seconds=30, clock=clock)
    assert a.acquire()
    clock.now += 31  # a crashed and stopped renewing
    assert b.acquire() is True
    assert a.acquire() is False
    assert b.current_holder() == "replica-b"


def test_release_hands_over_at_once(database):
    a = Lease(database, "scheduler", "replica-a", ttl_seconds=30)
    b = Lease(database, "scheduler", "replica-b", ttl_seconds=30)
    assert a.acquire() and not b.acquire()
    a.release()
    assert b.acquire()


def test_racing_replicas_elect_exactly_one(database):
    leases = [Lease(database, "race", f"replica-{n}", ttl_seconds=30) for n in range(8)]
    barrier = threading.Barrier(len(leases))
    won = []

    def campaign(lease):
        barrier.wait()
        if lease.acquire():
            won.append(lease.holder)

    threads = [threading.Thread(target=campaign, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


def test_two_schedulers_run_a_job_once_and_fail_over(database):
    runs = {"a": 0, "b": 0}
    elections = {}
    for name in ("a", "b"):
        scheduler = build_scheduler()
        scheduler.add_job(lambda n=name: runs.__setitem__(n, runs[n] + 1), "interval", seconds=0.1, id="tick")
        elections[name] = LeaderElection(Lease(database, "scheduler", f"replica-{name}", ttl_seconds=3), scheduler)
    elections["a"].start()
    elections["b"].start()
    eventually(lambda: runs["a"] >= 3, timeout=15)
    assert elections["a"].is_leader and not elections["b"].is_leader
    assert runs["b"] == 0
    elections["a"].stop()  # hands the lease over
    elections["b"].tick()
    eventually(lambda: runs["b"] >= 3, timeout=15)
    assert elections["b"].is_leader
    elections["b"].stop()


def test_jobs_coalesce_and_never_overlap_by_default():
    scheduler = build_scheduler()
    scheduler.start(paused=True)  # defaults apply when a job joins a started scheduler
    try:
        job = scheduler.add_job(print, "interval", seconds=60)
        assert isinstance(scheduler, BackgroundScheduler)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 300)
    finally:
        scheduler.shutdown(wait=False)
