"""Runs the scheduler only on the replica that holds the lease; the others keep theirs paused."""

from __future__ import annotations

import threading

import structlog
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.exc import SQLAlchemyError

from scheduler.lease import Lease

log = structlog.get_logger(__name__)


class LeaderElection:
    """Renews the lease every `ttl / 3` seconds; resumes the scheduler while leader, pauses it otherwise."""

    def __init__(self, lease: Lease, scheduler: BaseScheduler) -> None:
        self._lease = lease
        self._scheduler = scheduler
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.is_leader = False

    def start(self) -> None:
        """Start the scheduler paused (unless registering the jobs already did) and begin campaigning."""
        if self._scheduler.running:
            self._scheduler.pause()  # only the lease holder runs jobs
        else:
            self._scheduler.start(paused=True)
        self.tick()
        self._thread = threading.Thread(target=self._run, name="opsbot-leader", daemon=True)
        self._thread.start()

    def tick(self) -> None:
        """One round: renew or take the lease, and act on the outcome."""
        try:
            leader = self._lease.acquire()
        except SQLAlchemyError as exc:
            # Without the database we cannot know; stepping down is the safe side of at-most-one.
            log.warning("lease_check_failed", error=str(exc))
            leader = False
        if leader and not self.is_leader:
            log.info("scheduler_leader_elected", holder=self._lease.holder)
            self._scheduler.resume()
        elif not leader and self.is_leader:
            log.warning("scheduler_leadership_lost", holder=self._lease.holder)
            self._scheduler.pause()
        elif leader:
            # Jobs another replica added are in the shared store; look for them now, not at our next due time.
            self._scheduler.wakeup()
        self.is_leader = leader

    def _run(self) -> None:
        while not self._stop.wait(self._lease.ttl / 3):
            self.tick()

    def stop(self) -> None:
        """Stop running jobs, finish the one in progress, and hand the lease over."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._lease.ttl)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        if self.is_leader:
            self._lease.release()
            self.is_leader = False
