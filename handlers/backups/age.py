"""The catalog backup's age over time against the RPO, from the run records: what the backup-age chart draws.

The age at a moment is what `/backup status` would have said then: time since the start of the newest full or
incremental run that had completed by that moment. It grows by one hour an hour and drops when a run completes,
so straight lines between the moments runs complete draw it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from handlers.backups.store import BackupRun, aware

WINDOW = timedelta(days=7)

Point = tuple[datetime, timedelta]


@dataclass(frozen=True)
class AgeHistory:
    """The sawtooth, the RPO, and what the alt text says of them."""

    points: list[Point]
    rpo: timedelta
    since: datetime
    until: datetime
    breaches: list[tuple[datetime, datetime]]

    @property
    def oldest(self) -> timedelta | None:
        """The greatest age in the window."""
        return max((age for _, age in self.points), default=None)


def age_history(runs: list[BackupRun], rpo: timedelta, until: datetime, window: timedelta = WINDOW) -> AgeHistory:
    """The age from `until - window` to `until`, given every complete run that ended in the window and the last
    one that ended before it (those that count for the RPO, as `BackupStore.completed` returns them)."""
    since = until - window
    done = sorted(
        ((aware(r.started_at), aware(r.ended_at)) for r in runs if r.ended_at is not None and r.started_at is not None),
        key=lambda pair: pair[1],  # type: ignore[arg-type, return-value]
    )
    current: datetime | None = None  # start of the newest complete run so far
    points: list[Point] = []
    for started, ended in done:
        assert started is not None and ended is not None
        if ended > until:
            break
        if ended > since and current is not None:
            points.append((ended, ended - current))  # the top of a tooth, just before the drop
        # A run that started before the one already counted but ended after it makes nothing younger.
        current = started if current is None or started > current else current
        if ended > since:
            points.append((ended, ended - current))
        elif current is not None:
            points = [(since, since - current)]
    if current is not None:
        points.append((until, until - current))
    return AgeHistory(points, rpo, since, until, _breaches(points, rpo))


def _breaches(points: list[Point], rpo: timedelta) -> list[tuple[datetime, datetime]]:
    """The stretches the age spent past the RPO: it rises linearly between points, so each crossing is exact."""
    found: list[tuple[datetime, datetime]] = []
    began: datetime | None = None
    for (t0, a0), (t1, a1) in pairwise(points):
        if began is None and a0 > rpo:
            began = t0
        elif began is None and a1 > rpo and t1 > t0:
            began = t0 + (rpo - a0) * ((t1 - t0) / (a1 - a0))
        if began is not None and a1 <= rpo:
            found.append((began, t1))
            began = None
    if began is not None and points:
        found.append((began, points[-1][0]))
    return found
