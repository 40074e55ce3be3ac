"""Failover alerts end to end: sandbox AWS, the real app, the inbox, the outbox, fake Slack."""

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.doctor_probes import PROBE_ALARM, PROBE_CLUSTER
from bot.inbox.consumer import SqsConsumer
from handlers.failover import ids
from handlers.failover.due import run_due
from handlers.failover.store import AlertStore
from handlers.failover.wiring import build_failover
from opsbot.capabilities import CAPABILITIES
from sandbox.aws.notifications import alarm_message, alarm_state_change, fleet_state_change, sns_envelope
from sandbox.runtime import ADMIN, ANALYST, APPROVER
from sandbox.world import CLUSTER_ID
from scheduler import bound_tasks, build_scheduler, register_jobs
from tests.handlers.failover.conftest import DEFAULT, SALES, text_of
from tests.harness import eventually


def test_alarm_through_sns_and_sqs_makes_one_card_with_a_chart(bot):
    box = bot.box
    message = alarm_message(f"opsbot-{CLUSTER_ID}-primary-lost", CLUSTER_ID, "ALARM")
    box.client("sns").publish(TopicArn=box.world.topic_arn, Message=json.dumps(message))
    consumer = SqsConsumer(box.client("sqs"), box.world.queue_url, bot.inbox, bot.deps.metrics, wait_seconds=1)
    eventually(lambda: consumer.poll_once() == 0 and bot.alerts(), timeout=15)
    call, buttons = bot.card(SALES)  # routed by the cluster's tag team=sales
    text = text_of(call)
    assert "sales-analytics-ha" in text and CLUSTER_ID in text and "one primary lost" in text
    assert "2 vs threshold 3" in text and "Primaries" in text and "ip-10-0-0-10" in text
    assert set(buttons) >= {ids.ACKNOWLEDGE, *ids.SILENCES.values(), ids.INSTANCES, ids.RUNBOOK}
    assert "https://runbooks.example.com/emr/primary-failover" in text
    upload = box.slack.wait_for("files.completeUploadExternal")
    assert upload.body["channel_id"] == SALES and upload.body["thread_ts"] == bot.alerts()[0].card_ts
    png = box.slack.wait_for("file_upload")
    assert png.body["size"] > 2000 and png.body["content"][1:4] == "PNG"
    assert len([c for c in bot.posts(SALES) if not c.body.get("thread_ts")]) == 1


def test_a_repeat_updates_the_card_and_ok_resolves_it(bot):
    opened = datetime.now(UTC) - timedelta(minutes=10)
    assert bot.alarm("ALARM", at=opened) == "handled"
    bot.card(SALES)
    bot.alarm("ALARM", at=opened + timedelta(minutes=5))
    update = bot.slack.wait_for("chat.update", lambda c: "repeated once" in text_of(c))
    assert update.body["channel"] == SALES
    bot.alarm("OK", at=opened + timedelta(minutes=12))
    resolved = bot.slack.wait_for("chat.update", lambda c: "Resolved at" in text_of(c))
    assert ids.ACKNOWLEDGE not in text_of(resolved)
    note = bot.slack.wait_for("chat.postMessage", lambda c: "Resolved after" in c.body.get("text", ""))
    assert note.body.get("thread_ts")
    (alert,) = bot.alerts()
    assert alert.state == "resolved" and alert.repeats == 1
    assert len([c for c in bot.posts(SALES) if not c.body.get("thread_ts")]) == 1


def test_sns_and_eventbridge_forms_of_one_alarm_dedupe(bot):
    at = datetime.now(UTC).replace(microsecond=0)
    name = f"opsbot-{CLUSTER_ID}-primary-lost"
    bot.deliver(sns_envelope(alarm_message(name, CLUSTER_ID, "ALARM", at=at)))
    bot.deliver(alarm_state_change(name, CLUSTER_ID, "ALARM", at=at))
    bot.deliver(sns_envelope(alarm_message(name, CLUSTER_ID, "ALARM", at=at)))  # SNS redelivers, new message id
    (alert,) = bot.alerts()
    assert alert.repeats == 0 and alert.version == 1
    assert [e.reporter for e in bot.events()] == [f"alarm:{name}"]


def test_emr_fleet_event_after_a_primary_failure_shows_the_replaced_instance(bot):
    bot.alarm("ALARM")
    bot.card(SALES)
    failed, replacement = bot.box.emr_fleets.fail_primary(CLUSTER_ID)
    bot.deliver(fleet_state_change(CLUSTER_ID, failed["InstanceFleetId"], "RESIZING", 2, 3))
    update = bot.slack.wait_for("chat.update", lambda c: replacement["Ec2InstanceId"] in text_of(c))
    text = text_of(update)
    assert f"~`{failed['Ec2InstanceId']}` TERMINATED" in text and "replaced at" in text
    assert "2 of 3 running" in text
    bot.box.emr_fleets.finish_replacement(CLUSTER_ID)


def test_acknowledge_is_for_on_call_and_admins_only(bot):
    bot.alarm("ALARM")
    _, buttons = bot.card(SALES)
    bot.driver.click(ids.ACKNOWLEDGE, user=ANALYST, value=buttons[ids.ACKNOWLEDGE])
    bot.slack.wait_for("response_url", lambda c: "on-call" in c.body.get("text", ""))
    assert bot.alerts()[0].state == "open"
    bot.driver.click(ids.ACKNOWLEDGE, user=APPROVER, value=buttons[ids.ACKNOWLEDGE])  # on call through the group
    eventually(lambda: bot.alerts()[0].state == "acknowledged")
    assert bot.alerts()[0].acknowledged_by == APPROVER
    bot.slack.wait_for("chat.update", lambda c: "Acknowledged by <@U0ALICE>" in text_of(c))
    bot.driver.click(ids.ACKNOWLEDGE, user=ADMIN, value=buttons[ids.ACKNOWLEDGE])
    bot.slack.wait_for("response_url", lambda c: "<@U0ALICE> already acknowledged this alert" in c.body.get("text", ""))
    entries = [(e.actor, e.result) for e in bot.deps.audit.recent(action="failover.acknowledge")]
    assert entries == [(APPROVER, "ok"), (ANALYST, "denied")]


def test_silence_is_for_admins_only_and_shows_on_the_card(bot):
    bot.alarm("ALARM")
    _, buttons = bot.card(SALES)
    silence_4h = ids.SILENCES["4h"]
    bot.driver.click(silence_4h, user=APPROVER, value=buttons[silence_4h])
    bot.slack.wait_for("response_url", lambda c: "Only opsbot admins" in c.body.get("text", ""))
    store = AlertStore(bot.deps.db)
    assert store.silenced_until(CLUSTER_ID, datetime.now(UTC)) is None
    bot.driver.click(silence_4h, user=ADMIN, value=buttons[silence_4h])
    eventually(lambda: store.silenced_until(CLUSTER_ID, datetime.now(UTC)) is not None)
    until = store.silenced_until(CLUSTER_ID, datetime.now(UTC))
    assert timedelta(hours=3, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=4)
    bot.slack.wait_for("chat.update", lambda c: "silenced until" in text_of(c))


def test_escalation_fires_once_and_not_for_acknowledged_alerts(bot):
    bot.alarm("ALARM")
    bot.alarm("ALARM", cluster="j-OTHER00001", name="other-primary-lost")
    store = AlertStore(bot.deps.db)
    failover = build_failover(bot.deps.kernel)
    sales, other = bot.alerts()
    assert store.acknowledge(other.id, ADMIN, datetime.now(UTC))
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert run_due(failover, later)["escalated"] == 1
    assert run_due(failover, later + timedelta(minutes=1))["escalated"] == 0
    page = bot.slack.wait_for("chat.postMessage", lambda c: "not acknowledged after 15 min" in c.body.get("text", ""))
    assert "<!subteam^S0DATAONCALL>" in page.body["text"] and page.body["channel"] == SALES
    assert [e.target for e in bot.deps.audit.recent(action="failover.escalate")] == [str(sales.id)]


def test_silenced_clusters_do_not_escalate_and_silences_expire_by_themselves(bot):
    bot.alarm("ALARM")
    store = AlertStore(bot.deps.db)
    failover = build_failover(bot.deps.kernel)
    now = datetime.now(UTC)
    store.silence(CLUSTER_ID, now + timedelta(minutes=30), ADMIN, now)
    assert run_due(failover, now + timedelta(minutes=20))["escalated"] == 0
    swept = run_due(failover, now + timedelta(minutes=31))
    assert swept["silences_expired"] == 1 and swept["escalated"] == 0  # a full period after the silence
    assert store.silenced_until(CLUSTER_ID, now + timedelta(minutes=31)) is None
    assert run_due(failover, now + timedelta(minutes=47))["escalated"] == 1


def test_a_silenced_cluster_gets_no_card_until_the_silence_ends(bot):
    store = AlertStore(bot.deps.db)
    failover = build_failover(bot.deps.kernel)
    now = datetime.now(UTC)
    store.silence("j-QUIET000001", now + timedelta(seconds=2), ADMIN, now)
    bot.alarm("ALARM", cluster="j-QUIET000001", name="quiet")
    assert bot.alerts()[0].channel == DEFAULT  # no such cluster in EMR: routed by id to the default channel
    eventually(lambda: datetime.now(UTC) > now + timedelta(seconds=2))
    run_due(failover)
    call, _ = bot.card(DEFAULT)
    assert "j-QUIET000001" in text_of(call)


def test_a_burst_in_one_channel_becomes_a_digest(bot):
    for n in range(6):
        bot.alarm("ALARM", cluster=f"j-BURST{n:07d}", name=f"burst-{n}")
    digest = bot.slack.wait_for("chat.postMessage", lambda c: "cluster alerts at once" in c.body.get("text", ""))
    eventually(lambda: all(a.card_ts not in (None, "posting") for a in bot.alerts()))
    posts = bot.posts(DEFAULT)
    # The first alert may get its own card before the rest arrive; everything else shares one digest.
    assert len(posts) <= 2 and digest in posts
    shown = "".join(text_of(c) for c in posts)
    assert all(f"j-BURST{n:07d}" in shown for n in range(6))


def test_a_429_pauses_the_channel_and_loses_nothing(bot):
    bot.slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    bot.alarm("ALARM")
    eventually(lambda: bot.alerts()[0].card_ts not in (None, "posting"))
    attempts = [c for c in bot.posts(SALES) if not c.body.get("thread_ts")]
    assert len(attempts) == 2  # refused once, then posted once after Retry-After


def test_unknown_shapes_are_kept_and_do_not_fail_the_inbox(bot):
    broken = alarm_state_change("a", CLUSTER_ID, "ALARM")
    broken["detail"]["state"] = "ALARM"  # a string where AWS sends an object
    assert bot.deliver(broken) == "handled"
    (kept,) = bot.events()
    assert kept.reporter == "unknown" and kept.payload["detail"]["state"] == "ALARM"
    assert bot.alerts() == []


def test_home_tab_lists_open_alerts(bot):
    bot.alarm("ALARM")
    bot.driver.event({"type": "app_home_opened", "user": ANALYST, "channel": "D0HOME", "tab": "home"})
    view = bot.slack.wait_for("views.publish").body["view"]
    text = json.dumps(view)
    assert "Cluster alerts" in text and "sales-analytics-ha" in text and "one primary lost" in text


def test_an_alarm_older_than_the_ok_that_resolved_it_does_not_reopen(bot):
    at = datetime.now(UTC) - timedelta(minutes=5)
    bot.alarm("ALARM", at=at)
    bot.alarm("OK", at=at + timedelta(minutes=3))
    bot.alarm("ALARM", at=at + timedelta(minutes=1))  # delivered late
    (alert,) = bot.alerts()
    assert alert.state == "resolved" and alert.flaps == 0


def test_firing_again_soon_after_resolving_reopens_the_same_card(bot):
    at = datetime.now(UTC) - timedelta(minutes=5)
    bot.alarm("ALARM", at=at)
    bot.alarm("OK", at=at + timedelta(minutes=1))
    bot.alarm("ALARM", at=at + timedelta(minutes=2))
    (alert,) = bot.alerts()
    assert alert.state == "open" and alert.flaps == 1
    bot.slack.wait_for("chat.postMessage", lambda c: "flapping: reopened once" in c.body.get("text", ""))
    assert len([c for c in bot.posts(SALES) if not c.body.get("thread_ts")]) == 1


def test_the_due_sweep_is_a_stored_job_bound_to_its_task(bot):
    scheduler = build_scheduler()
    scheduler.start(paused=True)
    try:
        assert "failover.due" in register_jobs(scheduler, bot.deps, CAPABILITIES)
        assert scheduler.get_job("failover.due").args == ("failover.due",)
    finally:
        scheduler.shutdown(wait=False)
    bot.alarm("ALARM")
    swept = bound_tasks(bot.deps, CAPABILITIES)["failover.due"]()
    assert swept == {"escalated": 0, "silences_expired": 0, "claims_released": 0, "recovered_by_check": 0}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from([ids.ACKNOWLEDGE, ids.INSTANCES, ids.OPEN_CARD, ids.RUNBOOK, *ids.SILENCES.values()]),
    st.one_of(st.text(max_size=40), st.builds(lambda n: json.dumps({"alert": n}), st.integers())),
)
def test_no_button_value_crashes_the_bot(bot, action_id, value):
    bot.slack.reset()
    response = bot.driver.click(action_id, user=ADMIN, value=value)
    assert response.status == 200
    if action_id != ids.RUNBOOK:  # a link: nothing to answer
        told = bot.slack.wait_for("response_url").body["text"]
        assert "no longer exists" in told and "error id" not in told


def test_an_incident_only_emr_events_opened_is_checked_against_emr(bot):
    fleets = bot.box.emr_fleets
    failed, _ = fleets.fail_primary(CLUSTER_ID)
    bot.deliver(fleet_state_change(CLUSTER_ID, failed["InstanceFleetId"], "RESIZING", 2, 3))
    failover = build_failover(bot.deps.kernel)
    later = datetime.now(UTC) + timedelta(minutes=11)
    assert run_due(failover, later)["recovered_by_check"] == 0  # the replacement is still provisioning
    fleets.finish_replacement(CLUSTER_ID)  # and EMR's RUNNING event never arrives
    assert run_due(failover, later)["recovered_by_check"] == 1
    assert bot.alerts()[0].state == "resolved"


def test_the_doctor_probe_alarm_coming_to_life_makes_no_alert(bot):
    """`opsbot doctor` creates and deletes an action-less alarm under the bot's prefix; its first state is neutral."""
    bot.deliver(alarm_state_change(PROBE_ALARM, PROBE_CLUSTER, "INSUFFICIENT_DATA", value=0.0))
    assert bot.alerts() == []
    assert [c for c in bot.slack.calls_to("chat.postMessage") if PROBE_CLUSTER in json.dumps(c.body)] == []
