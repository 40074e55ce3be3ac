"""Alerts to the admins' channel: one per failed run, one per RPO breach, whichever replica notices first."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from bot.kernel import Kernel, Messages
from bot.outbox import message
from handlers.backups import blocks
from handlers.backups.status import BackupStatus
from handlers.backups.store import SUCCEEDED, BackupRun, BackupStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Alerts:
    """What an alert needs: the outbox, the admins' channel ("" when unset), and the store that claims it once."""

    messages: Messages
    channel: str
    store: BackupStore

    @classmethod
    def of(cls, kernel: Kernel, store: BackupStore) -> Alerts:
        """Alerts through `kernel`'s outbox to its admins' channel, claimed in `store`."""
        return cls(kernel.messages, kernel.settings.admin_channel or "", store)


def _alert_once(alerts: Alerts, key: str, text: str) -> bool:
    """Claim the alert and queue it for the admins' channel in one transaction; True for the first caller."""
    channel = alerts.channel
    if not channel:
        log.warning("backup_alert_without_channel", text=text)
        return False
    return alerts.store.alert_once(
        key,
        then=lambda session: alerts.messages.send(message.post(channel, text, key=f"backups.alert:{key}"), session),
    )


def run_finished(alerts: Alerts, run: BackupRun) -> bool:
    """Alert once if the run did not fully succeed; True when an alert went out."""
    if run.status == SUCCEEDED:
        return False
    return _alert_once(alerts, f"run:{run.run_id}", blocks.alert_run(run))


def rpo_checked(alerts: Alerts, status: BackupStatus) -> bool:
    """Alert once per breach: the key is the last complete run, so the next breach needs a new success first."""
    if status.colour != "red" or status.running is not None:
        return False
    key = f"rpo:{status.domain_id}:{status.last.run_id if status.last else 'never'}"
    return _alert_once(alerts, key, blocks.alert_rpo(status))
