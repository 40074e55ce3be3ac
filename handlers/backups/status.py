"""Where backups stand: age of the last complete run against the RPO, and drift between catalog and backup."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from handlers.backups.catalog import KINDS, Snapshot
from handlers.backups.store import BackupRun, aware
from handlers.backups.table import BackupTable, TableHealth, digest

GREEN, AMBER, RED = "green", "amber", "red"
# Amber once three quarters of the RPO have passed: time to look before it is breached.
AMBER_FRACTION = 0.75


def rpo_colour(age: timedelta | None, rpo: timedelta) -> str:
    """Green while young, amber from 75% of the RPO, red past it (or with no backup at all)."""
    if age is None or age > rpo:
        return RED
    return AMBER if age >= rpo * AMBER_FRACTION else GREEN


@dataclass
class BackupStatus:
    """Everything `/backup status` shows."""

    domain_id: str
    table: str
    rpo: timedelta
    last: BackupRun | None
    running: BackupRun | None
    next_run: datetime | None
    failures: list[BackupRun]
    health: TableHealth | None
    health_error: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def age(self) -> timedelta | None:
        """Since the start of the last complete run (what it captured is at least that old)."""
        started = aware(self.last.started_at) if self.last else None
        return self.now - started if started else None

    @property
    def colour(self) -> str:
        """The RPO colour."""
        return rpo_colour(self.age, self.rpo)


@dataclass(frozen=True)
class DriftItem:
    """One entity that differs between the live catalog and the backup."""

    kind: str
    id: str
    name: str


@dataclass
class Drift:
    """What verify found: missing from the backup, stale in it, extra in it (gone from the catalog)."""

    missing: list[DriftItem] = field(default_factory=list)
    stale: list[DriftItem] = field(default_factory=list)
    extra: list[DriftItem] = field(default_factory=list)
    checked: int = 0
    unreadable: int = 0

    @property
    def clean(self) -> bool:
        """True when the backup matches the catalog."""
        return not (self.missing or self.stale or self.extra)


def drift(snapshot: Snapshot, table: BackupTable, domain_id: str) -> Drift:
    """Compare a fresh read of the catalog with the table, by body hash."""
    found = Drift(unreadable=len(snapshot.errors))
    for kind in KINDS:
        stored = {s.id: s for s in table.stored(domain_id, kind)}
        for entity in snapshot.entities[kind]:
            found.checked += 1
            previous = stored.get(entity.id)
            if previous is None or previous.deleted:
                found.missing.append(DriftItem(kind, entity.id, entity.name))
            elif previous.hash != digest(entity.body):
                found.stale.append(DriftItem(kind, entity.id, entity.name))
        live = snapshot.ids(kind)
        found.extra += [DriftItem(kind, s.id, s.name) for s in stored.values() if not s.deleted and s.id not in live]
    return found
