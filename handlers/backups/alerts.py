"""Alerts to the admins' channel: one per failed run, one per RPO breach, whichever replica notices first."""

from __future__ import annotations

import structlog
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from handlers.backups import blocks
from handlers.backups.status import BackupStatus
from handlers.backups.store import SUCCEEDED, BackupRun, BackupStore

log = structlog.get_logger(__name__)


def _post(deps: Deps, text: str) -> None:
    channel = deps.settings.admin_channel
    if not channel:
        log.warning("backup_alert_without_channel", text=text)
        return
    try:
        deps.slack.chat_postMessage(channel=channel, text=text)
    except SlackApiError as exc:
        log.warning("backup_alert_failed", error=exc.response.get("error"))


def run_finished(deps: Deps, store: BackupStore, run: BackupRun) -> bool:
    """Alert once if the run did not fully succeed; True when an alert went out."""
    if run.status == SUCCEEDED or not store.alert_once(f"run:{run.run_id}"):
        return False
    _post(deps, blocks.alert_run(run))
    return True


def rpo_checked(deps: Deps, store: BackupStore, status: BackupStatus) -> bool:
    """Alert once per breach: the key is the last complete run, so the next breach needs a new success first."""
    if status.colour != "red" or status.running is not None:
        return False
    key = f"rpo:{status.domain_id}:{status.last.run_id if status.last else 'never'}"
    if not store.alert_once(key):
        return False
    _post(deps, blocks.alert_rpo(status))
    return True
