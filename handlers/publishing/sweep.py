"""Runs whose poller died with the bot and whose event was lost: the sweep finishes their threads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from bot.errors import NotFound
from bot.wording import age
from handlers.publishing.runs import DONE
from handlers.publishing.store import GAVE_UP, GONE, RunCard
from handlers.publishing.workflow import GIVE_UP, Publishing

log = structlog.get_logger(__name__)

SWEEP = "publishing.sweep"
# Runs looked at per tick, one GetDataSourceRun each, oldest first: only runs of the last day are followed, far
# fewer than this in practice; if ever more, the newer ones wait for the older to end (a bounded tick matters more).
PAGE = 100


def _aware(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sweep_one(publishing: Publishing, card: RunCard, now: datetime) -> str:
    """Look at the run once as the poller would; end it if DataZone lost it, give it up if still not done too late."""
    too_old = _aware(card.created_at) < now - timedelta(seconds=GIVE_UP)
    try:
        status = publishing.check(card)  # a run that finished while nobody looked still gets its summary
    except NotFound:
        text = (
            f":warning: DataZone no longer knows run `{card.run_id}` (its data source may have been deleted); "
            "no summary will follow."
        )
        return "gone" if publishing.end(card, GONE, text) else "ended elsewhere"
    except Exception:
        if not too_old:
            raise
        status = None  # a run DataZone cannot tell about is given up at the limit like one that never ends
    if status in DONE:
        return "done"
    if too_old:
        text = (
            f":hourglass: Gave up following run `{card.run_id}` after {age(GIVE_UP)} without a result; "
            f"`/publish status {card.run_id}` shows where it stands."
        )
        return "gave up" if publishing.end(card, GAVE_UP, text) else "ended elsewhere"
    return "running"


def sweep(publishing: Publishing, now: datetime | None = None) -> dict[str, int]:
    """Look once at a page of the runs still followed; never raises (a run that fails is logged and skipped)."""
    now = now or datetime.now(UTC)
    outcomes: dict[str, int] = {}
    try:
        cards = publishing.store.following(PAGE)
    except Exception:
        log.exception("publishing_sweep_failed")
        return {"failed": 1}
    for card in cards:
        try:
            outcome = sweep_one(publishing, card, now)
        except Exception:
            log.exception("publishing_sweep_run_failed", run_id=card.run_id)
            outcome = "failed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    log.info("publishing_swept", **outcomes)
    return outcomes
