"""A capability is one object in one list: given to the kernel, it gets its command, tasks, jobs and workers.

(Its doctor checks: tests/bot/test_doctor_aws.py sees the protein capability's through the same list.)
"""

from __future__ import annotations

from typing import Any

from apscheduler.schedulers.base import BaseScheduler

from bot.app import build_app
from bot.authz import anyone
from bot.capability import Capability
from bot.commands import CommandRouter, Subcommand
from bot.deps import Deps, build_deps
from bot.registry import Registry
from bot.settings import Settings
from opsbot.capabilities import CAPABILITIES
from scheduler import bound_tasks, build_scheduler, register_jobs
from scheduler.tasks import Task, schedule
from tests.conftest import MALLORY, POLICY
from tests.harness import BoltDriver


class ToyWorker:
    """Background work that says when it runs."""

    def __init__(self) -> None:
        self.running = False
        self.starts = 0

    def start(self) -> None:
        self.running, self.starts = True, self.starts + 1

    def stop(self) -> None:
        self.running = False


class Toy:
    """A capability with one of everything, recording what the kernel did with it."""

    def __init__(self) -> None:
        self.ticks: list[str] = []
        self.worker = ToyWorker()

    def register(self, registry: Registry) -> None:
        def ping(inv: Any) -> None:
            inv.respond(response_type="ephemeral", text="pong")

        registry.command(
            CommandRouter(
                command="/toy", summary="a toy", subcommands=[Subcommand("ping", "answer", anyone, handler=ping)]
            )
        )
        registry.worker(self.worker)

    def tasks(self, _deps: Deps) -> dict[str, Task]:
        return {"toy.tick": lambda what: self.ticks.append(what)}

    def jobs(self, scheduler: BaseScheduler, _settings: Settings) -> list[str]:
        return [schedule(scheduler, "toy.tick", "toy.tick", "interval", "hello", minutes=5).id]

    def capability(self) -> Capability:
        return Capability("toy", register=self.register, tasks=self.tasks, jobs=self.jobs)


def test_a_capability_given_to_the_kernel_gets_its_command_tasks_and_jobs(settings, sqlite_deps, requests_, fake_slack):
    toy = Toy()
    capabilities = [*CAPABILITIES, toy.capability()]

    driver = BoltDriver(build_app(settings, sqlite_deps, capabilities), requests_)
    assert driver.command("/toy", "ping", user=MALLORY).status == 200
    assert fake_slack.wait_for("response_url").body["text"] == "pong"

    tasks = bound_tasks(sqlite_deps, capabilities)
    assert "toy.tick" in tasks and "failover.due" in tasks  # its own beside the others'
    scheduler = build_scheduler(sqlite_deps.db, tasks)
    try:
        assert "toy.tick" in register_jobs(scheduler, sqlite_deps, capabilities)
        tasks["toy.tick"](*scheduler.get_job("toy.tick").args[1:])  # what the stored job would run
    finally:
        scheduler.shutdown(wait=False)
    assert toy.ticks == ["hello"]


def test_the_kernel_runs_a_capabilitys_worker_from_start_to_close(settings):
    toy = Toy()
    deps = build_deps(settings, policy=POLICY)
    deps.db.migrate(CAPABILITIES)
    build_app(settings, deps, [*CAPABILITIES, toy.capability()])
    assert toy.worker.running and toy.worker.starts == 1
    deps.close()
    assert not toy.worker.running
