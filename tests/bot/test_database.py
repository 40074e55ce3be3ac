"""The audit log and migrations, on SQLite and on PostgreSQL."""

import threading

from sqlalchemy import inspect

from bot.audit import AuditLog
from handlers.subscriptions.store import RequestCard
from opsbot.capabilities import CAPABILITIES


def test_migrations_create_the_tables(database):
    assert {"audit_log", "inbox_handled", "leases"} <= set(inspect(database.engine).get_table_names())


def test_migrate_twice_is_a_no_op(database):
    database.migrate(CAPABILITIES)
    database.migrate(CAPABILITIES)
    assert "audit_log" in inspect(database.engine).get_table_names()


def test_audit_round_trip(database):
    audit = AuditLog(database)
    audit.record(
        actor="U0ALICE",
        action="subscriptions.approve",
        target="req-1",
        result="ok",
        detail={"comment": "fine", "project": "prj_sales"},
    )
    audit.record(actor="U0BOB", action="subscriptions.reject", target="req-2", result="conflict", error_id="abcd1234")
    newest, oldest = audit.recent()
    assert (newest.actor, newest.action, newest.result, newest.error_id) == (
        "U0BOB",
        "subscriptions.reject",
        "conflict",
        "abcd1234",
    )
    assert oldest.detail == {"comment": "fine", "project": "prj_sales"}
    assert oldest.at.tzinfo is not None or database.engine.dialect.name == "sqlite"
    assert [e.target for e in audit.recent(action="subscriptions.approve")] == ["req-1"]


def test_concurrent_writers_lose_nothing(database):
    audit = AuditLog(database)

    def write(worker: int) -> None:
        for n in range(20):
            audit.record(actor=f"U{worker}", action="test.write", target=str(n), result="ok")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(audit.recent(limit=500)) == 80


def test_long_targets_are_truncated_not_refused(database):
    audit = AuditLog(database)
    audit.record(actor="U0X", action="test", target="x" * 2000, result="ok")
    assert len(audit.recent()[0].target) == 512


def test_the_longest_status_words_fit_their_columns(database):
    # PostgreSQL enforces String lengths (SQLite does not): a run's "partially_succeeded" is the longest result written.
    AuditLog(database).record(actor="opsbot", action="publishing.run", target="run-1", result="partially_succeeded")
    assert AuditLog(database).recent(1)[0].result == "partially_succeeded"
    columns = {c["name"]: c["type"] for c in inspect(database.engine).get_columns("subscription_cards")}
    assert columns["status"].length >= len("decided_elsewhere")
    assert RequestCard.__table__.c.status.type.length == columns["status"].length
