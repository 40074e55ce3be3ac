"""Backup runs: read the catalog, compare with the table, write what is new or changed, tombstone what is gone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from bot.wording import count
from handlers.backups.catalog import KINDS, LABELS, CatalogReader, Entity, EntityError, Snapshot
from handlers.backups.store import FAILED, PARTIAL, SUCCEEDED, BackupRun, BackupStore
from handlers.backups.table import BackupTable, Stored, digest

log = structlog.get_logger(__name__)

FULL, INCREMENTAL, EVENT = "full", "incremental", "event"
Progress = Callable[[str], None]


def new_run_id() -> str:
    """A run id that sorts by time."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass
class Counts:
    """Per-kind tallies of one run."""

    read: int = 0
    written: int = 0
    unchanged: int = 0
    tombstoned: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        """For the run record."""
        return dict(self.__dict__)


class BackupEngine:
    """Runs full, incremental and single-entity backups of one domain into the backup table."""

    def __init__(
        self, datazone: Any, table: BackupTable, store: BackupStore, projects: list[str] | None = None
    ) -> None:
        self.datazone = datazone
        self.table = table
        self.store = store
        self.projects = projects or []

    def reader(self, domain_id: str) -> CatalogReader:
        """The catalog reader for `domain_id` and the configured projects."""
        return CatalogReader(self.datazone, domain_id, self.projects)

    def run(
        self, domain_id: str, mode: str, trigger: str, progress: Progress | None = None, run_id: str | None = None
    ) -> BackupRun:
        """One full or incremental run, recorded from start to end; never raises for the catalog's content."""
        run_id = run_id or new_run_id()
        self.store.start(run_id, domain_id, mode, trigger)
        say = progress or (lambda _text: None)
        calls_before, items_before = self.table.stats.calls, self.table.stats.items
        counts = {kind: Counts() for kind in KINDS}
        errors: list[EntityError] = []
        try:
            say("Reading the catalog from DataZone…")
            snapshot = self.reader(domain_id).read()
            errors.extend(snapshot.errors)
            for error in snapshot.errors:
                counts[error.kind].errors += 1
            for kind in KINDS:
                errors.extend(self._back_up_kind(domain_id, kind, snapshot, mode, run_id, counts[kind]))
                tally = counts[kind]
                say(
                    f"{LABELS[kind]}: {tally.read} read, {tally.written} written, "
                    f"{tally.tombstoned} tombstoned, {count(tally.errors, 'error')}"
                )
            self.table.flush()
            summary = {k: v.as_dict() for k, v in counts.items()}
            self.table.mark_run(domain_id, run_id, datetime.now(UTC), summary)
            status = PARTIAL if errors else SUCCEEDED
            failure = None
        except Exception as exc:
            # The run record says what failed; the scheduler and Slack get the same record.
            log.exception("backup_run_failed", run_id=run_id, domain=domain_id)
            status, failure, summary = (
                FAILED,
                f"{type(exc).__name__}: {exc}"[:2000],
                {k: v.as_dict() for k, v in counts.items()},
            )
        return self.store.finish(
            run_id,
            status,
            summary,
            self.table.stats.calls - calls_before,
            self.table.stats.items - items_before,
            [e.__dict__ for e in errors],
            failure,
        )

    def _back_up_kind(
        self, domain_id: str, kind: str, snapshot: Snapshot, mode: str, run_id: str, counts: Counts
    ) -> list[EntityError]:
        now = datetime.now(UTC)
        stored = {s.id: s for s in self.table.stored(domain_id, kind)}
        items, errors = [], []
        for entity in snapshot.entities[kind]:
            counts.read += 1
            previous = stored.get(entity.id)
            if mode == INCREMENTAL and previous and not previous.deleted and previous.hash == digest(entity.body):
                counts.unchanged += 1
                continue
            try:
                items.append(self.table.entity_item(domain_id, entity, run_id, now))
            except ValueError as exc:
                counts.errors += 1
                errors.append(EntityError(kind, entity.id, str(exc)))
        live = snapshot.ids(kind)
        gone = [s for s in stored.values() if not s.deleted and s.id not in live]
        if gone:
            # Tombstones keep the last body, so the bodies of the gone entities are read once.
            for entity_id in (s.id for s in gone):
                previous = self.table.get(domain_id, kind, entity_id)
                if previous is not None:
                    items.append(self.table.tombstone_item(domain_id, previous, run_id, now))
                    counts.tombstoned += 1
        # Kinds share batches: a run costs ceil(items / 25) calls, not one partial batch per kind.
        self.table.queue(items)
        counts.written += len(items) - counts.tombstoned
        return errors

    def back_up_one(
        self, domain_id: str, kind: str, entity_id: str, trigger: str, run_id: str | None = None
    ) -> tuple[str, BackupRun]:
        """Back up the current state of one entity (an event touched it): written, tombstoned or unchanged."""
        run_id = run_id or new_run_id()
        self.store.start(run_id, domain_id, EVENT, trigger)
        calls_before, items_before = self.table.stats.calls, self.table.stats.items
        counts = Counts(read=1)
        outcome, errors, failure, status = "unchanged", [], None, SUCCEEDED
        try:
            entity = self.reader(domain_id).one(kind, entity_id)
            previous = self.table.get(domain_id, kind, entity_id)
            now = datetime.now(UTC)
            if entity is None:
                if previous is not None and not previous.deleted:
                    self.table.put(self.table.tombstone_item(domain_id, previous, run_id, now))
                    counts.tombstoned, outcome = 1, "tombstoned"
            elif previous is None or previous.deleted or previous.hash != digest(entity.body):
                self.table.put(self.table.entity_item(domain_id, entity, run_id, now))
                counts.written, outcome = 1, "written"
            else:
                counts.unchanged = 1
        except ValueError as exc:
            counts.errors, outcome, status = 1, "error", PARTIAL
            errors.append({"kind": kind, "id": entity_id, "error": str(exc)})
        except Exception as exc:
            log.exception("event_backup_failed", run_id=run_id, kind=kind, entity=entity_id)
            outcome, status, failure = "failed", FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        run = self.store.finish(
            run_id,
            status,
            {kind: counts.as_dict()},
            self.table.stats.calls - calls_before,
            self.table.stats.items - items_before,
            errors,
            failure,
        )
        return outcome, run


def stored_entities(table: BackupTable, domain_id: str, kind: str) -> list[Stored]:
    """Every live (not tombstoned) backed-up entity of `kind`, with bodies."""
    return [s for s in table.stored(domain_id, kind, bodies=True) if not s.deleted]


def as_entity(stored: Stored) -> Entity:
    """A backed-up entity in the shape the catalog reader produces."""
    return Entity(stored.kind, stored.id, stored.name, stored.body or {})
