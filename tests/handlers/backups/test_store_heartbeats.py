"""Heartbeats in the database, on SQLite and PostgreSQL: stale runs and applies are abandoned, live ones kept."""

import json
from datetime import UTC, datetime, timedelta

from handlers.backups.store import BackupRun, BackupStore, RestorePlan

BOUND = timedelta(seconds=30)


def _age(database, model, key, **columns):
    with database.session() as session:
        row = session.get(model, key)
        for name, value in columns.items():
            setattr(row, name, value)


def test_stale_runs_are_abandoned_and_live_ones_kept(database):
    store = BackupStore(database)
    old = datetime.now(UTC) - timedelta(minutes=5)
    for run_id in ("dead-full", "live-full", "dead-event", "other-domain"):
        store.start(
            run_id, "dzd_b" if run_id == "other-domain" else "dzd_a", "event" if "event" in run_id else "full", "t"
        )
    _age(database, BackupRun, "dead-full", heartbeat_at=old)
    _age(database, BackupRun, "dead-event", heartbeat_at=old)
    # A record from before heartbeats existed: its start stands in for them.
    _age(database, BackupRun, "other-domain", heartbeat_at=None, started_at=old)
    assert sorted(store.abandon("dzd_a", BOUND)) == ["dead-event", "dead-full"]
    assert store.get("live-full").status == "running" and store.get("dead-full").status == "abandoned"
    assert store.get("dead-full").failure.startswith("abandoned: its process stopped (last heartbeat")
    assert store.abandon(None, BOUND) == ["other-domain"]
    assert store.beat("live-full") and not store.beat("dead-full")
    # The holder of the domain's lease is the only live full run: any other running one is abandoned.
    store.start("newer", "dzd_a", "full", "t")
    assert store.abandon("dzd_a", BOUND, exclusive_except="newer") == ["live-full"]
    assert store.running("dzd_a").run_id == "newer"


def test_stale_applies_are_abandoned_and_claimed_again(database):
    store = BackupStore(database)
    store.save_plan(
        RestorePlan(
            plan_id="plan-1",
            source_domain_id="dzd_a",
            target_domain_id="dzd_b",
            created_by="U0ADMIN",
            created_at=datetime.now(UTC),
            status="planned",
            steps=json.dumps([]),
            summary=json.dumps({}),
        )
    )
    assert store.claim_plan("plan-1") and not store.claim_plan("plan-1")
    assert store.abandon_plans(BOUND) == [] and store.beat_plan("plan-1")
    _age(database, RestorePlan, "plan-1", heartbeat_at=datetime.now(UTC) - timedelta(minutes=5))
    assert store.abandon_plans(BOUND) == ["plan-1"]
    assert store.plan("plan-1").status == "abandoned" and not store.beat_plan("plan-1")
    assert store.claim_plan("plan-1") and store.plan("plan-1").status == "applying"
