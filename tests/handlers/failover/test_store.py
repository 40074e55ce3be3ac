"""The alert lifecycle and its atomic writes, on SQLite and on PostgreSQL."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

from bot.inbox.envelope import parse_message
from handlers.failover.lifecycle import Lifecycle, Placement
from handlers.failover.parse import parse_signal
from handlers.failover.store import AlertStore
from sandbox.aws.notifications import alarm_message, alarm_state_change, sns_envelope

CLUSTER = "j-STORE000001"
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _signal(state, minute, *, eventbridge=False):
    at = T0 + timedelta(minutes=minute)
    body = (
        json.dumps(alarm_state_change("a1", CLUSTER, state, at=at))
        if eventbridge
        else sns_envelope(alarm_message("a1", CLUSTER, state, at=at))
    )
    return parse_signal(parse_message(body, str(uuid.uuid4())))


def _apply(lifecycle, signal, minute):
    return lifecycle.apply(
        signal,
        Placement(channel="C0X", cluster_name="c"),
        now=T0 + timedelta(minutes=minute),
        flap_minutes=15,
        escalation_minutes=15,
    ).outcome


def test_lifecycle_from_open_to_resolved(database):
    lifecycle = Lifecycle(database)
    assert _apply(lifecycle, _signal("ALARM", 0), 0) == "created"
    assert _apply(lifecycle, _signal("ALARM", 0, eventbridge=True), 0) == "duplicate"
    assert _apply(lifecycle, _signal("ALARM", 5), 5) == "updated"
    assert _apply(lifecycle, _signal("OK", 9), 9) == "resolved"
    assert _apply(lifecycle, _signal("OK", 9, eventbridge=True), 9) == "ignored"
    assert _apply(lifecycle, _signal("ALARM", 30), 30) == "created"  # past the flap window: a new incident
    store = AlertStore(database)
    first, second = sorted([*store.active(), store.get(1)], key=lambda a: a.id)
    assert first.state == "resolved" and first.repeats == 1 and second.state == "open"


def test_concurrent_first_signals_open_one_alert(database):
    lifecycle = Lifecycle(database)
    barrier = threading.Barrier(4)
    outcomes = []

    def fire(minute):
        barrier.wait()
        outcomes.append(_apply(lifecycle, _signal("ALARM", minute), minute))

    threads = [threading.Thread(target=fire, args=(m,)) for m in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("created") == 1 and len(AlertStore(database).active()) == 1


def test_first_acknowledgement_and_escalation_win(database):
    lifecycle = Lifecycle(database)
    _apply(lifecycle, _signal("ALARM", 0), 0)
    store = AlertStore(database)
    (alert,) = store.active()
    assert store.due_escalations(T0 + timedelta(minutes=14)) == []
    assert [a.id for a in store.due_escalations(T0 + timedelta(minutes=16))] == [alert.id]
    assert store.mark_escalated(alert.id, T0) and not store.mark_escalated(alert.id, T0)
    assert store.acknowledge(alert.id, "U0A", T0) and not store.acknowledge(alert.id, "U0B", T0)
    assert store.get(alert.id).acknowledged_by == "U0A"


def test_silences_end_by_themselves(database):
    store = AlertStore(database)
    store.silence(CLUSTER, T0 + timedelta(hours=1), "U0A", T0)
    assert store.silenced_until(CLUSTER, T0) == T0 + timedelta(hours=1)
    assert store.expire_silences(T0 + timedelta(minutes=59), timedelta(minutes=15)) == []
    assert store.expire_silences(T0 + timedelta(hours=2), timedelta(minutes=15)) == [CLUSTER]
    assert store.silenced_until(CLUSTER, T0) is None


def test_outbox_bookkeeping(database):
    lifecycle, store = Lifecycle(database), AlertStore(database)
    _apply(lifecycle, _signal("ALARM", 0), 0)
    assert store.channels_with_work() == ["C0X"]
    (alert,) = store.uncarded("C0X", 10)
    assert store.claim_cards([alert.id], T0) == [alert.id] and store.claim_cards([alert.id], T0) == []
    assert store.release_stale_claims(T0 + timedelta(minutes=1)) == 0
    assert store.release_stale_claims(T0 + timedelta(minutes=3)) == 1
    assert store.claim_cards([alert.id], T0) == [alert.id]
    store.carded([alert.id], "123.456", digest=False, versions={alert.id: alert.version})
    assert store.stale("C0X") is None and [a.id for a in store.sharing_card("C0X", "123.456")] == [alert.id]
    assert store.chart_due("C0X").id == alert.id and store.chart_done(alert.id, "posted")
    _apply(lifecycle, _signal("OK", 4), 4)
    assert store.stale("C0X").id == alert.id
    event, owner = store.next_note("C0X")
    assert "Resolved after 4 min" in event.summary and owner.id == alert.id
    assert store.claim_note(event.id, T0) and not store.claim_note(event.id, T0)
    store.rendered(alert.id, store.get(alert.id).version)
    assert store.channels_with_work() == []


def test_an_uploaded_chart_is_shown_once_claimed_and_its_refusals_counted(database):
    lifecycle, store = Lifecycle(database), AlertStore(database)
    _apply(lifecycle, _signal("ALARM", 0), 0)
    (alert,) = store.uncarded("C0X", 10)
    store.claim_cards([alert.id], T0)
    store.carded([alert.id], "123.456", digest=False, versions={alert.id: alert.version})
    store.chart_uploaded(alert.id, "F0000000001", "chart")  # not claimed (still pending): nothing changes
    assert store.get(alert.id).chart_file is None and store.stale("C0X") is None
    assert store.chart_done(alert.id, "posted")
    store.chart_uploaded(alert.id, "F0000000001", "x" * 2500)
    shown = store.get(alert.id)
    assert (shown.chart_file, len(shown.chart_alt), shown.chart_refusals) == ("F0000000001", 2000, 0)
    assert store.stale("C0X").id == alert.id  # the card re-renders with it
    assert [store.chart_refused(alert.id) for _ in range(2)] == [1, 2]


def test_the_lifecycle_lines_say_short_spans_in_words(database):
    lifecycle, store = Lifecycle(database), AlertStore(database)
    _apply(lifecycle, _signal("ALARM", 0), 0)
    _apply(lifecycle, _signal("OK", 0.3), 0.3)
    assert _apply(lifecycle, _signal("ALARM", 0.6), 0.6) == "reopened"
    notes = [e.summary for e in store.events(CLUSTER) if e.reporter == "opsbot"]
    assert ":repeat: Fired again less than a minute after resolving (flapping: reopened once)." in notes
    assert ":white_check_mark: Resolved after less than a minute." in notes
