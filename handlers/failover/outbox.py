"""Sends what the alert store says is pending: at most one Slack call per channel per second, digests in a burst.

Intake only writes state; this thread reads what a channel lacks (a card, a newer rendering, a thread line, a
chart) and sends the most important thing, one call per channel slot. Repeats therefore coalesce into one
update, many new alerts become one digest, and a 429 pauses that channel alone for Retry-After. Slots come
from the bot's shared per-channel pacing (bot/outbox/pacing.py), so all replicas together, and the bot's other
messages in the same channel, keep to one call a second. Nothing is lost on a crash: the work is derived from
the database, and every replica rescans it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blockkit import FILE_ALT_TEXT, truncate
from bot.charts import Picture
from bot.outbox import ChannelPacer
from bot.outbox.sender import AMBIGUOUS_ERRORS, find_marked, marker
from bot.wording import count
from handlers.failover import blocks
from handlers.failover.models import Alert
from handlers.failover.store import AlertStore

log = structlog.get_logger(__name__)

# Slack allows about one message a second per channel, with short bursts.
INTERVAL_SECONDS = 1.0
# This many new alerts waiting in one channel at once go out as one digest instead of a card each.
DIGEST_AT = 3
MAX_DIGEST = 50
# Every replica rescans the database this often, so work left by a crash or another replica gets done.
RESCAN_SECONDS = 5.0
# After an error Slack will not fix by itself (channel_not_found, not_in_channel) the channel waits this long.
ERROR_PAUSE_SECONDS = 60.0

# Slack processes an upload asynchronously: a card naming the file refused (invalid_blocks) is sent again, one
# slot later each time, and after this many refusals goes without the picture (the chart stays in the thread).
CHART_REFUSALS = 5

ChartMaker = Callable[[Alert], Picture | None]


def _ambiguous(exc: Exception) -> bool:
    # A 5xx, a timeout or a dropped connection: Slack may have stored the post before the answer was lost.
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500 or exc.response.get("error") in AMBIGUOUS_ERRORS
    return True


class Outbox:
    """One background thread serving every channel, each at most once per slot of the shared pacer."""

    def __init__(
        self,
        store: AlertStore,
        client: WebClient,
        runbook_for: Callable[[Alert], str | None],
        chart_for: ChartMaker,
        *,
        pacer: ChannelPacer,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._client = client
        self._pacer = pacer
        self._runbook_for = runbook_for
        self._chart_for = chart_for
        self._interval = interval
        self._clock = clock
        self._ready: set[str] = set()
        self._next_at: dict[str, float] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = False

    # -- control ------------------------------------------------------------------------------------

    def start(self) -> Outbox:
        """Serve in the background; the first thing it does is look for work left over."""
        self._thread = threading.Thread(target=self._run, name="opsbot-failover-outbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the call in flight; whatever is pending stays in the database."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(10)

    def kick(self, channel: str | None) -> None:
        """There may be work in `channel`."""
        if channel is None:
            return
        with self._wake:
            self._ready.add(channel)
            self._wake.notify_all()

    def idle(self) -> bool:
        """True when no channel has work known to this outbox."""
        with self._wake:
            return not self._ready

    # -- the loop -----------------------------------------------------------------------------------

    def _run(self) -> None:
        rescan_at = 0.0
        while True:
            with self._wake:
                if self._stop:
                    return
            now = self._clock()
            if now >= rescan_at:
                self._rescan()
                rescan_at = now + RESCAN_SECONDS
            with self._wake:
                due = [c for c in self._ready if self._next_at.get(c, 0.0) <= now]
                if not due:
                    waits = [self._next_at.get(c, 0.0) - now for c in self._ready] + [rescan_at - now]
                    self._wake.wait(max(0.0, min(waits)))
                    continue
            for channel in sorted(due):
                try:
                    self._serve(channel)
                except Exception:  # the pacing table is in the database, which may be away: the thread must live on
                    log.exception("failover_outbox_round_failed", channel=channel)
                    with self._wake:
                        self._next_at[channel] = self._clock() + RESCAN_SECONDS

    def _rescan(self) -> None:
        try:
            channels = self._store.channels_with_work()
        except Exception as exc:  # the database may be away for a moment; the next rescan tries again
            log.warning("failover_outbox_rescan_failed", error=str(exc))
            return
        with self._wake:
            self._ready.update(channels)

    def _serve(self, channel: str) -> None:
        if not self._pacer.acquire(channel):
            # Another replica (or the bot's outbox) holds this channel's slot: look again after an interval.
            with self._wake:
                self._next_at[channel] = self._clock() + self._interval
            return
        sent, pause = False, self._interval
        try:
            sent = self.step(channel)
        except SlackApiError as exc:
            sent, pause = True, self._pause_for(channel, exc)
        except Exception:
            log.exception("failover_outbox_failed", channel=channel)
            sent, pause = True, ERROR_PAUSE_SECONDS
        finally:
            if sent:
                self._pacer.release(channel, timedelta(seconds=pause))
            else:
                self._pacer.give_back(channel)
        with self._wake:
            if sent:
                self._next_at[channel] = self._clock() + pause
            else:
                self._ready.discard(channel)

    def _pause_for(self, channel: str, exc: SlackApiError) -> float:
        if exc.response.status_code == 429:
            retry_after = float(exc.response.headers.get("Retry-After", "1") or 1)
            log.info("failover_outbox_rate_limited", channel=channel, retry_after=retry_after)
            return max(retry_after, self._interval)
        log.error("failover_outbox_slack_error", channel=channel, error=exc.response.get("error"))
        return ERROR_PAUSE_SECONDS

    # -- one unit of work ---------------------------------------------------------------------------

    def step(self, channel: str) -> bool:
        """Send the most important pending thing in `channel`; False if there was nothing to send."""
        # A lost claim (another replica was quicker) or a skipped chart sends nothing: look again.
        for _ in range(5):
            sent = self._one(channel)
            if sent is not False:
                return bool(sent)
        return False

    def _one(self, channel: str) -> bool | None:
        """True if a call was made, False if work was found but nothing sent, None if there is no work."""
        now = datetime.now(UTC)
        silences = self._store.silences(now)
        fresh = [a for a in self._store.uncarded(channel, MAX_DIGEST) if (a.cluster_id or a.key) not in silences]
        if len(fresh) >= DIGEST_AT:
            return self._post_digest(channel, fresh, silences, now)
        if fresh:
            return self._post_card(channel, fresh[0], silences, now)
        stale = self._store.stale(channel)
        if stale is not None:
            return self._update(channel, stale, silences, now)
        pending_note = self._store.next_note(channel)
        if pending_note is not None:
            return self._post_note(channel, *pending_note, now=now)
        charted = self._store.chart_due(channel)
        if charted is not None:
            return self._post_chart(channel, charted)
        return None

    def _post_card(self, channel: str, alert: Alert, silences: dict[str, datetime], now: datetime) -> bool:
        if not self._store.claim_cards([alert.id], now):
            return False
        until = silences.get(alert.cluster_id or alert.key)
        mark = f"failover-card:{alert.id}:{now.timestamp():.6f}"
        posted = self._post_once(
            channel,
            mark,
            [alert.id],
            now,
            text=blocks.card_text(alert),
            blocks=blocks.card(alert, self._runbook_for(alert), until, now),
        )
        self._store.carded([alert.id], posted, digest=False, versions={alert.id: alert.version})
        return True

    def _post_digest(self, channel: str, alerts: list[Alert], silences: dict[str, datetime], now: datetime) -> bool:
        won = set(self._store.claim_cards([a.id for a in alerts], now))
        alerts = [a for a in alerts if a.id in won]
        if not alerts:
            return False
        mark = f"failover-digest:{alerts[0].id}:{now.timestamp():.6f}"
        posted = self._post_once(
            channel,
            mark,
            [a.id for a in alerts],
            now,
            text=f"{count(len(alerts), 'cluster alert')} at once",
            blocks=blocks.digest(alerts, silences, now),
        )
        self._store.carded([a.id for a in alerts], posted, digest=True, versions={a.id: a.version for a in alerts})
        log.info("failover_digest_posted", channel=channel, alerts=len(alerts))
        return True

    def _post_once(self, channel: str, mark: str, alert_ids: list[int], now: datetime, **content: Any) -> str:
        """Post a card or digest; after an ambiguous failure, look for it (by its metadata) before giving the
        claim back, so a 5xx after Slack stored the post does not become a second card."""
        try:
            return str(self._client.chat_postMessage(channel=channel, metadata=marker(mark), **content)["ts"])
        except Exception as exc:
            found = self._landed(channel, mark, now) if _ambiguous(exc) else None
            if found is not None:
                return found
            self._store.release_cards(alert_ids)
            raise

    def _landed(self, channel: str, mark: str, since: datetime, thread_ts: str | None = None) -> str | None:
        """The ts of the post marked `mark` if Slack has it after all; None if not, or if it cannot be told now."""
        try:
            found = find_marked(self._client, channel, mark, since=since, thread_ts=thread_ts)
        except Exception:
            return None  # Slack is still away: the next round posts again (README: a rare duplicate)
        if found is not None:
            log.info("failover_post_found_after_error", channel=channel, mark=mark, ts=found)
        return found

    def _update(self, channel: str, alert: Alert, silences: dict[str, datetime], now: datetime) -> bool:
        ts = alert.card_ts or ""
        if alert.digest:
            shown = self._store.sharing_card(channel, ts)
            text, new_blocks = count(len(shown), "cluster alert"), blocks.digest(shown, silences, now)
        else:
            shown = [alert]
            until = silences.get(alert.cluster_id or alert.key)
            with_chart = alert.chart_refusals < CHART_REFUSALS
            text = blocks.card_text(alert)
            new_blocks = blocks.card(alert, self._runbook_for(alert), until, now, with_chart=with_chart)
        try:
            self._client.chat_update(channel=channel, ts=ts, text=text, blocks=new_blocks)
        except SlackApiError as exc:
            if not (exc.response.get("error") == "invalid_blocks" and any(b["type"] == "image" for b in new_blocks)):
                raise
            # Most likely the chart's file is not processed yet: the card stays as it was and is sent again next
            # slot; after CHART_REFUSALS it goes without the picture, so the card always catches up.
            refusals = self._store.chart_refused(alert.id)
            log.warning("failover_chart_refused", alert=alert.id, refusals=refusals, error=exc.response.get("errors"))
            return True
        for each in shown:
            self._store.rendered(each.id, each.version)
        return True

    def _post_note(self, channel: str, event: Any, alert: Alert, *, now: datetime) -> bool:
        if not self._store.claim_note(event.id, now):
            return False
        mark = f"failover-note:{event.id}"
        try:
            self._client.chat_postMessage(
                channel=channel, thread_ts=alert.card_ts, text=event.summary, metadata=marker(mark)
            )
        except Exception as exc:
            if not (_ambiguous(exc) and self._landed(channel, mark, now, thread_ts=alert.card_ts)):
                self._store.release_note(event.id)
                raise
        return True

    def _post_chart(self, channel: str, alert: Alert) -> bool:
        if not self._store.chart_done(alert.id, "posted"):
            return False
        try:
            chart = self._chart_for(alert)
        except Exception:
            # A chart is a nicety: without CloudWatch access the card still stands.
            log.warning("failover_chart_failed", alert=alert.id, exc_info=True)
            chart = None
        if chart is None:
            self._store.chart_done(alert.id, "none", expected="posted")
            return False
        try:
            # Shared into the card's thread, not uploaded privately: the card's image block then shows a file
            # everyone in the channel may see, and the thread keeps it full size (and whatever Slack refuses).
            uploaded = self._client.files_upload_v2(
                channel=channel,
                thread_ts=alert.card_ts,
                file=chart.png,
                filename=f"multimaster-{alert.cluster_id}.png",
                title=f"MultiMaster metrics of {alert.cluster_name or alert.cluster_id}, last 3 hours",
                alt_txt=truncate(chart.alt_text, FILE_ALT_TEXT),
                request_file_info=False,
            )
        except Exception:
            self._store.chart_done(alert.id, "pending", expected="posted")
            raise
        file_id = (uploaded.get("file") or {}).get("id")
        if file_id:
            self._store.chart_uploaded(alert.id, str(file_id), chart.alt_text)
        return True
