"""What the kernel offers a capability: the narrow ports its listeners, flows and tasks are built from.

`Deps` (bot/deps.py) is the composition root's whole set of clients, including the raw Slack client, the listener
pool and the event router; a capability never sees it. It gets a `Kernel`, which has no way to call Slack's Web
API directly: everything it says goes through `messages`, the durable outbox, so a post survives a restart and
Slack's rate limits.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from bot.audit import AuditLog
from bot.authz import Access
from bot.aws import AwsClients
from bot.db import Database
from bot.directory import GroupDirectory
from bot.metrics import Metrics
from bot.outbox.deliverer import OnSent
from bot.outbox.message import Outgoing
from bot.outbox.models import OutboxMessage
from bot.outbox.pacing import ChannelPacer
from bot.settings import Settings
from scheduler.jobs import Jobs


class Messages(Protocol):
    """Posting, updating, replying, DMing and uploading, through the durable outbox (bot/outbox/)."""

    def send(self, outgoing: Outgoing, session: Session | None = None) -> int:
        """Queue `outgoing`; with `session`, in that transaction, so it is sent only if the caller's work commits."""
        ...

    def queued(self, key: str) -> OutboxMessage | None:
        """The message queued under `key` (sent or not): a card still posting is addressed by its key."""
        ...

    def on_sent(self, name: str, callback: OnSent) -> None:
        """Call `callback` in the transaction that records a message sent with `on_sent=name` (to keep its ts)."""
        ...


@dataclass(frozen=True)
class Kernel:
    """The ports a capability is built from, once, at start."""

    settings: Settings
    db: Database
    messages: Messages
    audit: AuditLog
    access: Access
    groups: GroupDirectory
    aws: AwsClients
    # Date jobs on the shared scheduler (empty until the runner attaches it).
    jobs: Jobs
    metrics: Metrics
    # Work that outlives a listener's ack (a publishing run's poller); closing the bot waits for it.
    background: Executor
    # Slack's one message per channel per second, shared by every sender (a capability's own card sender too).
    pacer: ChannelPacer
    # A message's permalink (channel, ts): a read, so it is not queued.
    permalink: Callable[[str, str], str]
