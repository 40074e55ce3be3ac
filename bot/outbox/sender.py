"""One Slack call per outbox message, and what its outcome means: landed, retry, maybe landed, rate limited, refused.

Posts carry the outbox id in Slack message metadata (https://docs.slack.dev/messaging/message-metadata), so
after an ambiguous outcome (5xx, timeout, dropped connection: the post may have been stored) the next attempt
first looks for it with conversations.history / conversations.replies and `include_all_metadata` instead of
posting a second copy. README.md, "Slack outbox", says why and where a rare duplicate remains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.db import utc
from bot.outbox.models import DM, EPHEMERAL, POST, REPLY, UNCERTAIN, UPDATE, UPLOAD, OutboxMessage
from bot.outbox.store import Claimed

log = structlog.get_logger(__name__)

# The metadata event type that marks the bot's own outbox posts.
EVENT_TYPE = "opsbot_outbox_message"
# Slack errors that come with HTTP 200 yet leave the outcome open ("It's possible some aspect of the operation
# succeeded before the error was raised": https://docs.slack.dev/reference/methods/chat.postMessage, Errors).
AMBIGUOUS_ERRORS = frozenset({"internal_error", "fatal_error", "request_timeout", "service_unavailable"})
# Errors a look-up gives when it cannot see the conversation: the post is then sent again (a rare duplicate).
UNREADABLE = frozenset(
    {"missing_scope", "not_in_channel", "channel_not_found", "thread_not_found", "not_allowed_token_type"}
)
# Slack refuses a message's blocks with these; its text still goes out.
REFUSED_BLOCKS = frozenset({"invalid_blocks", "invalid_blocks_format"})
# Where the bot was never invited: a post with a fallback user goes to their DM instead.
NOT_INVITED = frozenset({"not_in_channel", "channel_not_found"})
# How far back of the first attempt a look-up starts (clocks of Slack and the replica differ a little).
LOOK_BACK = timedelta(minutes=2)
LOOKUP_PAGES = 5


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended."""

    state: str  # sent | retry | uncertain | rate_limited | refused | lost
    channel: str | None = None
    ts: str | None = None
    error: str = ""
    retry_after: float = 0.0


def marker(mark: str) -> dict[str, Any]:
    """The metadata a post carries so it can be found again by `mark`."""
    return {"event_type": EVENT_TYPE, "event_payload": {"id": mark}}


def metadata_for(message_id: int) -> dict[str, Any]:
    """The metadata of an outbox message's post."""
    return marker(f"outbox:{message_id}")


class Lost(Exception):
    """The channel's slot or the message's claim passed to another replica during the attempt."""


class _Held:
    """The client, with `keep()` asked before each call: an attempt of several calls holds its slot and claim."""

    def __init__(self, client: WebClient, keep: Callable[[], bool]) -> None:
        self._client, self._keep = client, keep

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._client, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            if not self._keep():
                raise Lost
            return call(*args, **kwargs)

        return held


def attempt(client: WebClient, claimed: Claimed, keep: Callable[[], bool] = lambda: True) -> Outcome:
    """Send the claimed message (after looking for an earlier attempt that may have landed).

    `keep()` runs before every Slack call and says whether the attempt still holds its channel slot and claim;
    once it does not, no further call is made and the outcome is "lost" (the row is someone else's now).
    """
    message = claimed.message
    client = cast(WebClient, _Held(client, keep))
    try:
        if message.status == UNCERTAIN and message.kind in (POST, REPLY):
            found = _landed(client, claimed)
            if found is not None:
                log.info("outbox_found_landed", message=message.id, channel=found[0], ts=found[1])
                return Outcome("sent", found[0], found[1])
        return _call(client, claimed)
    except Lost:
        return Outcome("lost")
    except SlackApiError as exc:
        return _slack_error(exc)
    except Exception as exc:  # timeouts and dropped connections: the request may have reached Slack
        return Outcome("uncertain", error=f"{type(exc).__name__}: {exc}")


def _call(client: WebClient, claimed: Claimed) -> Outcome:
    message, payload = claimed.message, claimed.message.payload
    text, blocks = payload.get("text", ""), payload.get("blocks")
    target_ts = payload.get("ts") or claimed.target_ts
    channel = claimed.target_channel or message.channel if message.after_id else message.channel
    if message.kind in (POST, DM, REPLY):
        thread = {"thread_ts": target_ts} if message.kind == REPLY else {}
        post = {"text": text, "blocks": blocks, "metadata": metadata_for(message.id), **thread}
        try:
            answer = _without_refused_blocks(client.chat_postMessage, message, channel=channel, **post)
        except SlackApiError as exc:
            fallback = payload.get("fallback_user")
            if message.kind != POST or not fallback or exc.response.get("error") not in NOT_INVITED:
                raise
            log.info("outbox_post_to_dm_instead", message=message.id, channel=channel, error=exc.response.get("error"))
            answer = _without_refused_blocks(client.chat_postMessage, message, channel=fallback, **post)
        # Slack answers with the conversation it posted in (a DM's D… id for a user id): replies and updates use it.
        return Outcome("sent", answer.get("channel"), answer.get("ts"))
    if message.kind == UPDATE:
        answer = _without_refused_blocks(
            client.chat_update, message, channel=channel, ts=target_ts, text=text, blocks=blocks
        )
        return Outcome("sent", answer.get("channel"), answer.get("ts"))
    if message.kind == EPHEMERAL:
        answer = client.chat_postEphemeral(channel=channel, user=payload["user"], text=text, blocks=blocks)
        return Outcome("sent", channel, answer.get("message_ts"))
    if message.kind == UPLOAD:
        client.files_upload_v2(
            channel=channel,
            thread_ts=target_ts,
            file=message.file,
            filename=payload.get("filename"),
            title=payload.get("title"),
            request_file_info=False,
        )
        return Outcome("sent", channel, target_ts)
    return Outcome("refused", error=f"unknown kind {message.kind}")


def _without_refused_blocks(call: Any, message: OutboxMessage, **args: Any) -> Any:
    """Make the call; if Slack refuses its blocks, make it again with the text alone.

    A refused card would otherwise fail for good, and with it whatever waits for it (a run summary is claimed
    before it is posted): the text says the same facts, plainly. The refusal is logged, as it is a bug to fix.
    """
    try:
        return call(**args)
    except SlackApiError as exc:
        if not args.get("blocks") or exc.response.get("error") not in REFUSED_BLOCKS:
            raise
        log.error(
            "outbox_blocks_refused",
            **describe(message),
            error=exc.response.get("error"),
            messages=(exc.response.get("response_metadata") or {}).get("messages"),
        )
        return call(**{**args, "blocks": None})


def _slack_error(exc: SlackApiError) -> Outcome:
    status = exc.response.status_code
    error = str(exc.response.get("error") or f"HTTP {status}")
    if status == 429 or error == "ratelimited":
        retry_after = float(exc.response.headers.get("Retry-After", "1") or 1)
        return Outcome("rate_limited", error=error, retry_after=retry_after)
    if status >= 500 or error in AMBIGUOUS_ERRORS:
        return Outcome("uncertain", error=error)
    return Outcome("refused", error=error)


def _landed(client: WebClient, claimed: Claimed) -> tuple[str, str] | None:
    """The channel and ts of an earlier attempt that reached Slack, or None (not there, or not readable)."""
    message = claimed.message
    since = utc(message.first_sent_at or message.created_at)  # SQLite hands datetimes back naive
    if message.kind == REPLY:
        channel = claimed.target_channel or message.channel
        thread = message.payload.get("ts") or claimed.target_ts
    else:
        channel, thread = message.channel, None
    ts = find_marked(client, channel, f"outbox:{message.id}", since=since, thread_ts=thread)
    return (channel, ts) if ts else None


def find_marked(
    client: WebClient, channel: str, mark: str, *, since: datetime, thread_ts: str | None = None
) -> str | None:
    """The ts of the bot's post marked `mark` in `channel` (or in one thread) since `since`; None if it is not
    there or the bot may not read the conversation (then the caller posts again: a rare duplicate)."""
    oldest = f"{(since - LOOK_BACK).timestamp():.6f}"
    cursor = None
    for _ in range(LOOKUP_PAGES):
        try:
            if thread_ts:
                page = client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                )
            else:
                page = client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                )
        except SlackApiError as exc:
            status, error = exc.response.status_code, exc.response.get("error")
            if status == 429 or status >= 500 or error in AMBIGUOUS_ERRORS:
                raise  # Slack is still away: look again on the next attempt
            # Anything else (missing_scope, not_in_channel, a DM addressed by user id) will not pass by waiting.
            log.warning("outbox_cannot_look", channel=channel, error=error)
            return None
        for seen in page.get("messages") or []:
            metadata = seen.get("metadata") or {}
            if metadata.get("event_type") == EVENT_TYPE and (metadata.get("event_payload") or {}).get("id") == mark:
                return str(seen["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None


def describe(message: OutboxMessage) -> dict[str, Any]:
    """Fields for a log line about a message."""
    return {"message": message.id, "kind": message.kind, "channel": message.channel, "key": message.key}
