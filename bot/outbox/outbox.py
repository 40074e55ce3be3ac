"""The outbox the bot's capabilities talk to: enqueue in your own transaction, hear when a post lands."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.db import Database
from bot.outbox.deliverer import Deliverer, OnSent
from bot.outbox.message import Outgoing
from bot.outbox.models import OutboxMessage
from bot.outbox.pacing import ChannelPacer
from bot.outbox.store import OutboxStore


def _owner() -> str:
    # Unique per outbox, so claims and held slots name exactly one sender even with several in one process.
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Outbox:
    """Everything the bot says in Slack goes through here; delivery is derived from the database."""

    def __init__(self, db: Database, client: WebClient, *, alive: Callable[[], bool] = lambda: True) -> None:
        self.db = db
        self.owner = _owner()
        self.store = OutboxStore(db)
        self.pacer = ChannelPacer(db, self.owner)
        self._callbacks: dict[str, OnSent] = {}
        self._deliverer = Deliverer(self.store, self.pacer, client, self._callbacks, self.owner, alive=alive)

    def send(self, outgoing: Outgoing, session: Session | None = None) -> int:
        """Enqueue `outgoing`; with `session`, in the caller's transaction (it is sent only if that commits)."""
        if session is not None:
            message_id = self.store.enqueue(session, outgoing)
        else:
            with self.db.session() as own:
                message_id = self.store.enqueue(own, outgoing)
        self._deliverer.kick()
        return message_id

    def queued(self, key: str) -> OutboxMessage | None:
        """The message enqueued under `key`, sent or not."""
        return self.store.by_key(key)

    def on_sent(self, name: str, callback: OnSent) -> None:
        """Run `callback(session, context, channel, ts)` when a message enqueued with `on_sent=name` lands."""
        self._callbacks[name] = callback

    def start(self) -> None:
        """Start delivering (idempotent)."""
        self._deliverer.start()

    def stop(self) -> None:
        """Stop delivering; pending messages wait in the database."""
        self._deliverer.stop()

    def kick(self) -> None:
        """Look for due messages now."""
        self._deliverer.kick()
