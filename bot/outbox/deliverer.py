"""The thread that empties the outbox: due messages from the database, one call per channel slot, retry with backoff."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.db import utc
from bot.outbox.models import OutboxMessage
from bot.outbox.pacing import ChannelPacer
from bot.outbox.sender import Outcome, attempt, describe
from bot.outbox.store import Claimed, OutboxStore

log = structlog.get_logger(__name__)

# What a caller registers to hear that a message landed: (session, context, channel, ts), in the same transaction.
OnSent = Callable[[Session, dict[str, Any], str | None, str | None], None]

# Every replica looks at the database this often; a message enqueued in this process wakes it at once.
POLL_SECONDS = 0.25
HOUSEKEEPING_SECONDS = 30.0
# Backoff after a failed attempt: doubling from 1 s to 5 minutes, jittered so replicas do not retry in step.
BACKOFF_FIRST, BACKOFF_CAP = 1.0, 300.0
# A message Slack refused (not_in_channel, channel_not_found ...) is tried this often before it is given up:
# someone may invite the bot meanwhile.
REFUSED_ATTEMPTS = 5
# A message still not delivered after this long is given up (logged as an error).
MAX_AGE = timedelta(days=1)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt `attempts + 1`."""
    base = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(0, attempts - 1))
    return timedelta(seconds=base * random.uniform(0.5, 1.0))


class Deliverer:
    """One background thread per replica; channels are shared with other replicas through `ChannelPacer`."""

    def __init__(
        self,
        store: OutboxStore,
        pacer: ChannelPacer,
        client: WebClient,
        callbacks: dict[str, OnSent],
        owner: str,
        *,
        alive: Callable[[], bool] = lambda: True,
    ) -> None:
        self._store = store
        self._pacer = pacer
        self._client = client
        self._callbacks = callbacks
        self._owner = owner
        self._alive = alive
        self._wake = threading.Condition()
        self._kicked = False
        self._stop = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve in the background (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="opsbot-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the call in flight; what is pending stays in the database for any replica."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(20)
            self._thread = None

    def kick(self) -> None:
        """Something was enqueued: look now rather than at the next poll."""
        with self._wake:
            self._kicked = True
            self._wake.notify_all()

    # -- the loop -----------------------------------------------------------------------------------

    def _run(self) -> None:
        housekeeping_at = datetime.min.replace(tzinfo=UTC)
        while True:
            with self._wake:
                if self._stop:
                    return
                self._kicked = False
            if not self._alive():
                return
            now = datetime.now(UTC)
            try:
                if now >= housekeeping_at:
                    self._store.housekeeping(now)
                    housekeeping_at = now + timedelta(seconds=HOUSEKEEPING_SECONDS)
                channels = self._store.ready_channels(now)
                random.shuffle(channels)  # replicas that see the same channels start at different ones
                for channel in channels:
                    self.serve(channel)
            except Exception:  # the database may be away for a moment; the next round tries again
                log.exception("outbox_round_failed")
            with self._wake:
                if not self._kicked and not self._stop:
                    self._wake.wait(POLL_SECONDS)

    def serve(self, channel: str) -> bool:
        """Send one due message in `channel` if its slot is free; True if a call was made."""
        if not self._pacer.acquire(channel):
            return False
        claimed = self._store.claim_next(channel, self._owner, datetime.now(UTC))
        if claimed is None:
            self._pacer.give_back(channel)
            return False
        pause = None
        try:
            pause = self._deliver(claimed)
        finally:
            self._pacer.release(channel, pause)
        return True

    # -- one message --------------------------------------------------------------------------------

    def _deliver(self, claimed: Claimed) -> timedelta | None:
        message = claimed.message
        self._store.started(message, datetime.now(UTC))
        outcome = attempt(self._client, claimed, keep=lambda: self._keep(claimed))
        if outcome.state == "lost":
            # No call was made after the loss. If only the channel slot went (the claim is still ours), the
            # message is simply due again; if the claim went too, this changes nothing and its new holder goes on.
            log.warning("outbox_slot_or_claim_lost", attempts=message.attempts, **describe(message))
            self._store.retry(message, "lost its channel slot or claim", timedelta(0), uncertain=False, counts=False)
            return None
        if outcome.state == "sent":
            self._store.sent(message, outcome.channel, outcome.ts, self._callback(message, outcome))
            return None
        if outcome.state == "rate_limited" and not self._too_old(message):
            wait = timedelta(seconds=max(outcome.retry_after, 1.0))
            log.info("outbox_rate_limited", retry_after=outcome.retry_after, **describe(message))
            self._store.retry(message, outcome.error, wait, uncertain=False, counts=False)
            return wait
        if self._too_old(message):
            log.error("outbox_gave_up", error=outcome.error, attempts=message.attempts, **describe(message))
            self._store.failed(message, f"gave up: {outcome.error}")
            # A 429 still holds the channel for its Retry-After, whatever becomes of this message.
            return timedelta(seconds=max(outcome.retry_after, 1.0)) if outcome.state == "rate_limited" else None
        if outcome.state == "uncertain":
            log.warning("outbox_uncertain", error=outcome.error, attempts=message.attempts, **describe(message))
            self._store.retry(message, outcome.error, backoff(message.attempts), uncertain=True)
            return None
        if outcome.state == "refused" and message.attempts >= REFUSED_ATTEMPTS:
            log.error("outbox_refused", error=outcome.error, **describe(message))
            self._store.failed(message, outcome.error)
            return None
        log.warning("outbox_retry", error=outcome.error, attempts=message.attempts, **describe(message))
        self._store.retry(message, outcome.error, backoff(message.attempts), uncertain=False)
        return None

    def _keep(self, claimed: Claimed) -> bool:
        """Before each call of an attempt: still this replica's slot and claim, both held a while longer."""
        return self._pacer.extend(claimed.message.channel) and self._store.renew(claimed.message, datetime.now(UTC))

    @staticmethod
    def _too_old(message: OutboxMessage) -> bool:
        created = utc(message.created_at)
        return created is not None and datetime.now(UTC) - created > MAX_AGE

    def _callback(self, message: OutboxMessage, outcome: Outcome) -> Callable[[Session], None] | None:
        if message.on_sent is None:
            return None
        callback = self._callbacks.get(message.on_sent)
        if callback is None:
            log.error("outbox_unknown_callback", callback=message.on_sent, **describe(message))
            return None
        return lambda session: callback(session, dict(message.context or {}), outcome.channel, outcome.ts)
