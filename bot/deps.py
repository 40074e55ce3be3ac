"""The objects every listener, job and service shares, built once from settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from slack_sdk import WebClient

from bot.audit import AuditLog
from bot.authz import Access
from bot.aws import AwsClients
from bot.capability import Capability
from bot.db import Database
from bot.directory import GroupDirectory
from bot.inbox.router import EventRouter
from bot.kernel import Kernel
from bot.metrics import Metrics
from bot.outbox import Outbox
from bot.policy import Policy, load_policy
from bot.settings import Settings
from bot.slack_client import build_delivery_client, build_slack_client
from bot.workers import Workers
from scheduler.jobs import Jobs


@dataclass
class Deps:
    """Shared clients and stores; tests build their own."""

    settings: Settings
    slack: WebClient
    db: Database
    audit: AuditLog
    groups: GroupDirectory
    access: Access
    metrics: Metrics
    aws: AwsClients
    executor: ThreadPoolExecutor
    events: EventRouter
    # Everything the bot says in Slack; build_app starts its deliverer, close() stops it.
    outbox: Outbox
    # Empty until the runner (or console) attaches the process's scheduler.
    jobs: Jobs = field(default_factory=Jobs)
    # The capabilities' background workers (Registry.worker); build_app starts them, close() stops them.
    workers: Workers = field(default_factory=Workers)

    @cached_property
    def kernel(self) -> Kernel:
        """What capabilities are given: these deps without the raw Slack client, the pool or the router."""
        return Kernel(
            settings=self.settings,
            db=self.db,
            messages=self.outbox,
            audit=self.audit,
            access=self.access,
            groups=self.groups,
            aws=self.aws,
            jobs=self.jobs,
            metrics=self.metrics,
            background=self.executor,
            pacer=self.outbox.pacer,
            permalink=self._permalink,
        )

    def _permalink(self, channel: str, ts: str) -> str:
        return str(self.slack.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])

    def close(self) -> None:
        """Finish the work in flight, stop the workers, then release connections."""
        self.executor.shutdown(wait=True)
        self.workers.stop()
        self.groups.close()
        self.outbox.stop()
        self.db.close()


def accepting(executor: ThreadPoolExecutor) -> Callable[[], bool]:
    """False once `executor` is shut down: the process is stopping, so its background senders stop too."""

    def alive() -> bool:
        try:
            executor.submit(int)
        except RuntimeError:
            return False
        return True

    return alive


def build_deps(settings: Settings, *, policy: Policy | None = None, db: Database | None = None) -> Deps:
    """Real dependencies for `settings`."""
    slack = build_slack_client(settings)
    database = db or Database.from_url(settings.database_url)
    groups = GroupDirectory(slack, ttl_seconds=settings.group_cache_seconds)
    access = Access(policy if policy is not None else load_policy(settings.config), groups)
    executor = ThreadPoolExecutor(settings.listener_workers, thread_name_prefix="opsbot-listener")
    return Deps(
        settings=settings,
        slack=slack,
        db=database,
        audit=AuditLog(database),
        groups=groups,
        access=access,
        metrics=Metrics(),
        aws=AwsClients(settings.aws_region),
        executor=executor,
        events=EventRouter(),
        outbox=Outbox(database, build_delivery_client(settings), alive=accepting(executor)),
    )


@contextmanager
def kernel_for_command(settings: Settings, capabilities: Sequence[Capability]) -> Iterator[Kernel]:
    """A kernel for one command-line command: database migrated for `capabilities`, no background work started.

    What it queues in the outbox, the bot's replicas deliver; without a bot token the command still runs and
    reports in the terminal.
    """
    deps = build_deps(settings)
    deps.db.migrate(capabilities)
    try:
        yield deps.kernel
    finally:
        deps.close()
