"""Reading the audit log: filters typed in Slack or on the command line, and pages of entries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from bot.audit import AuditEntry
from bot.db import Database
from bot.errors import BadInput

USAGE = "[user <@user>] [capability <name>] [since <YYYY-MM-DD | 7d | 12h>] [result ok|denied|failed|conflict] [page=N]"
RESULTS = ("ok", "denied", "failed", "conflict")

# A user as Slack escapes it in command text (`<@U123|maria>`), or a bare id.
_USER = re.compile(r"^<@([UW][A-Z0-9]{2,31})(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,31})$")
_AGE = re.compile(r"^(\d{1,4})([dh])$")
_CAPABILITY = re.compile(r"^/?[a-z][a-z0-9_-]{0,40}$")


class AuditFilter(BaseModel):
    """Which entries to show; every field narrows, none set shows everything."""

    model_config = ConfigDict(frozen=True)

    user: str | None = Field(None, max_length=32)
    # An action prefix (`subscriptions` matches `subscriptions.approve`) or a command (`/cluster`, its refusals).
    capability: str | None = Field(None, max_length=42)
    since: datetime | None = None
    result: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """SQL conditions for these filters."""
        conditions: list[ColumnElement[bool]] = []
        if self.user:
            conditions.append(AuditEntry.actor == self.user)
        if self.capability:
            name = self.capability
            if name.startswith("/"):
                conditions.append(or_(AuditEntry.action == name, AuditEntry.action.startswith(f"{name} ")))
            else:
                conditions.append(or_(AuditEntry.action == name, AuditEntry.action.startswith(f"{name}.")))
        if self.since:
            conditions.append(AuditEntry.at >= self.since)
        if self.result:
            conditions.append(AuditEntry.result == self.result)
        return conditions

    def words(self, readable: bool = False) -> str:
        """The filters as they would be typed, e.g. to carry them in a button; `readable` shows `since` to people."""
        parts = []
        if self.user:
            parts += ["user", self.user]
        if self.capability:
            parts += ["capability", self.capability]
        if self.since:
            since = self.since.replace(tzinfo=self.since.tzinfo or UTC)
            parts += ["since", f"{since:%Y-%m-%d %H:%M} UTC" if readable else since.strftime("%Y-%m-%dT%H:%M")]
        if self.result:
            parts += ["result", self.result]
        return " ".join(parts)


def parse_filters(text: str, now: datetime | None = None) -> AuditFilter:
    """`user <@U..> capability <name> since <when> result <r>` in any order; BadInput naming the problem."""
    words = text.split()
    if len(words) % 2:
        raise BadInput(f"Each filter is a word and a value.\nUsage: `/audit {USAGE}`")
    fields: dict[str, object] = {}
    for key, value in zip(words[::2], words[1::2], strict=True):
        key = key.lower()
        if key in fields:
            raise BadInput(f"`{key}` is given twice.\nUsage: `/audit {USAGE}`")
        if key == "user":
            match = _USER.match(value)
            if not match:
                raise BadInput(f"`{_shown(value)}` is not a Slack user: mention them, e.g. `@maria`.")
            fields["user"] = match.group(1) or match.group(2)
        elif key == "capability":
            if not _CAPABILITY.match(value.lower()):
                raise BadInput(f"`{_shown(value)}` is not a capability or command name.")
            fields["capability"] = value.lower()
        elif key == "since":
            fields["since"] = _since(value, now or datetime.now(UTC))
        elif key == "result":
            if value.lower() not in RESULTS:
                raise BadInput(f"`{_shown(value)}` is not a result: use one of {', '.join(RESULTS)}.")
            fields["result"] = value.lower()
        else:
            raise BadInput(f"Unknown filter `{_shown(key)}`.\nUsage: `/audit {USAGE}`")
    return AuditFilter.model_validate(fields)


def _since(value: str, now: datetime) -> datetime:
    age = _AGE.match(value.lower())
    if age:
        amount, unit = int(age.group(1)), age.group(2)
        return now - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"`{_shown(value)}` is not a date: use YYYY-MM-DD, or an age such as 7d or 12h.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _shown(word: str) -> str:
    return word.replace("`", "'")[:40]


class AuditPage(BaseModel):
    """One page of entries, newest first, and how many match in all."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    entries: list[AuditEntry]
    total: int
    offset: int


def count_matching(db: Database, filters: AuditFilter) -> int:
    """How many entries match `filters`."""
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(*filters.where())) or 0


def read_entries(db: Database, filters: AuditFilter, *, offset: int, limit: int) -> list[AuditEntry]:
    """Entries matching `filters`, newest first, `limit` from `offset`."""
    query = select(AuditEntry).where(*filters.where()).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    with db.session() as session:
        return list(session.scalars(query))


def read_page(db: Database, filters: AuditFilter, *, offset: int = 0, limit: int = 20) -> AuditPage:
    """Entries matching `filters`, newest first, `limit` from `offset`, and how many match in all."""
    total = count_matching(db, filters)
    return AuditPage(entries=read_entries(db, filters, offset=offset, limit=limit), total=total, offset=offset)


def reason_of(entry: AuditEntry) -> str:
    """Why an entry was refused or failed: `detail.reason`, or the detail itself where a capability wrote a string."""
    detail = entry.detail
    if isinstance(detail, dict):
        return str(detail.get("reason") or "")
    return str(detail) if isinstance(detail, str) else ""


def when(moment: datetime) -> str:
    """A time as people read it in a log: UTC, to the second, with its zone."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
