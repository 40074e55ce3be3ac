"""A toy capability with one of everything, recording what the kernel did with it.

It lives here, not under handlers/, so the bot never runs it; tests add it to the composition root's list, which
is all a real capability needs beyond its folder: a command, a task and its job, a worker, a table migrated from
its own migrations/ folder (its own Alembic branch), a doctor check with a read only doctor makes, and a probe.
"""

from __future__ import annotations

from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.authz import anyone
from bot.aws import AwsClients
from bot.capability import Capability
from bot.commands import CommandRouter, Invocation, Subcommand
from bot.db import Database
from bot.doctor_probes import Probe, always
from bot.doctor_resources import Finding, doctor_read, failed
from bot.kernel import Kernel
from bot.registry import Registry
from bot.settings import Settings
from scheduler.tasks import Task, schedule
from tests.toy_capability.models import ToyNote

MIGRATIONS = Path(__file__).with_name("migrations")
# The AWS read the toy's doctor check makes; declared, so doctor_read accepts it. (One the bot's policy grants
# anyway: the suite checks that policy allows every call the bot's clients made, the toy's included.)
DOCTOR_READS = frozenset({"cloudwatch:DescribeAlarms"})


class ToyWorker:
    """Background work that says when it runs."""

    def __init__(self) -> None:
        self.running = False
        self.starts = 0

    def start(self) -> None:
        self.running, self.starts = True, self.starts + 1

    def stop(self) -> None:
        self.running = False


def notes(db: Database) -> list[str]:
    """What the toy's task wrote down, oldest first."""
    with db.session() as session:
        return list(session.scalars(select(ToyNote.text).order_by(ToyNote.id)))


def check_notes(settings: Settings, aws: AwsClients) -> list[Finding]:
    """Doctor's check of the toy: its table answers, and a read only doctor makes is let through."""
    db = Database.from_url(settings.database_url)
    try:
        with db.session() as session:
            count = session.scalar(select(func.count()).select_from(ToyNote))
    except SQLAlchemyError as exc:
        return [failed("toy notes", exc)]
    finally:
        db.close()
    alarms = doctor_read(aws.client("cloudwatch").describe_alarms, "cloudwatch:DescribeAlarms", MaxRecords=1)
    return [Finding("toy notes", "PASS", f"{count} written, alarms {'seen' if alarms['MetricAlarms'] else 'none'}")]


# Its one IAM action, probed as every capability's are.
PROBES = [("sts:GetCallerIdentity", Probe(lambda ctx: ctx.client("sts").get_caller_identity(), always))]


class Toy:
    """One toy capability: a fresh worker each, so a test sees only what the kernel did with its own."""

    def __init__(self) -> None:
        self.worker = ToyWorker()

    def register(self, registry: Registry) -> None:
        def ping(inv: Invocation) -> None:
            inv.respond(response_type="ephemeral", text="pong")

        registry.command(
            CommandRouter(
                command="/toy", summary="a toy", subcommands=[Subcommand("ping", "answer", anyone, handler=ping)]
            )
        )
        registry.worker(self.worker)

    def tasks(self, kernel: Kernel) -> dict[str, Task]:
        def tick(what: str) -> None:
            with kernel.db.session() as session:
                session.add(ToyNote(text=what))

        return {"toy.tick": tick}

    def jobs(self, scheduler: BaseScheduler, _settings: Settings) -> list[str]:
        return [schedule(scheduler, "toy.tick", "toy.tick", "interval", "hello", minutes=5).id]

    def capability(self) -> Capability:
        return Capability(
            "toy",
            register=self.register,
            tasks=self.tasks,
            jobs=self.jobs,
            doctor=check_notes,
            probes=PROBES,
            doctor_reads=DOCTOR_READS,
            migrations=MIGRATIONS,
        )
