"""How every message writes counts, durations, times and people, so that no card says "1 times" or "0 min".

One module for all capabilities: a wording fixed here is fixed in every message that counts or tells time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.db import utc

# Slack user ids (U…, or W… on Enterprise Grid); anything else an actor field holds (a DataZone user id,
# "inbox", "cli", "schedule") is not someone Slack can mention.
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def noun(n: float, singular: str, plural: str | None = None) -> str:
    """The word alone, agreeing with `n`: noun(1, "glossary", "glossaries") is "glossary"."""
    return singular if n == 1 else (plural or singular + "s")


def count(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and its noun: "1 bucket", "2 buckets", "1,024 buckets", "0 glossaries"."""
    return f"{n:,} {noun(n, singular, plural)}"


def times(n: int) -> str:
    """How often: "once", "twice", "3 times"."""
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def _seconds(span: timedelta | float) -> float:
    return span.total_seconds() if isinstance(span, timedelta) else float(span)


def age(span: timedelta | float | None) -> str:
    """A coarse span for ages and waits: "less than a minute", "5 min", "4 h", "3 h 20 min", "2 days"."""
    if span is None:
        return "never"
    minutes = int(max(0.0, _seconds(span)) // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return count(minutes // 1440, "day")


def duration(span: timedelta | float | None) -> str:
    """A measured span, to the precision it deserves: "under a second", "1.4 s", "42 s", "2 min 5 s", "1 h 3 min"."""
    if span is None:
        return "unknown"
    seconds = max(0.0, _seconds(span))
    if seconds < 1:
        return "under a second"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    return age(seconds)


def when(moment: datetime | None, missing: str = "never") -> str:
    """A time to the minute with its zone: "2026-11-30 14:05 UTC"."""
    return f"{utc(moment):%Y-%m-%d %H:%M} UTC" if moment else missing


def clock(moment: datetime | None) -> str:
    """A time of day with its zone, for cards about the last hours: "14:05 UTC"."""
    return f"{utc(moment):%H:%M} UTC" if moment else "?"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago: "just now", "5 min ago", "2 days ago"; "in 3 h" for a time still ahead."""
    if moment is None:
        return "never"
    span = (utc(now or datetime.now(UTC)) - utc(moment)).total_seconds()
    if -60 < span < 60:
        return "just now"
    return f"{age(span)} ago" if span > 0 else f"in {age(-span)}"


def when_ago(moment: datetime | None, now: datetime | None = None, missing: str = "never") -> str:
    """The time and how long ago it was: "2026-11-30 14:05 UTC (5 min ago)"."""
    return f"{when(moment)} ({ago(moment, now)})" if moment else missing


def mention(user: str | None, otherwise: str) -> str:
    """A Slack mention for a Slack user id; `otherwise` for anything else (an intake path, a DataZone user)."""
    return f"<@{user}>" if user and SLACK_USER.match(user) else otherwise
