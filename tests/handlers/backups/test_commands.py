"""/backup over Slack: status colours and replicas, run with progress, history, verify, refusals, alerts."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import BadInput
from bot.inbox.envelope import InboundEvent
from handlers.backups import alerts
from handlers.backups.alerts import Alerts
from handlers.backups.arguments import HistoryArgs, parse_restore
from handlers.backups.engine import FULL
from handlers.backups.events import entity_of
from handlers.backups.status import AMBER, GREEN, RED, rpo_colour
from handlers.backups.store import BackupRun
from sandbox.runtime import ADMIN, ANALYST
from sandbox.world import DOMAIN_ID, REPLICA_REGION
from tests.conformance.datazone.samples import api_call, inbound
from tests.handlers.backups.helpers import command, items, reply
from tests.harness import eventually


def _age_last_run(bot, minutes):
    """Make the newest complete run look `minutes` old."""
    run = bot["service"].run(FULL, "test")
    with bot["deps"].db.session() as session:
        session.get(BackupRun, run.run_id).started_at = datetime.now(UTC) - timedelta(minutes=minutes)
    return run


def test_rpo_colours_at_the_right_ages():
    rpo = timedelta(hours=4)
    assert rpo_colour(timedelta(hours=1), rpo) == GREEN
    assert rpo_colour(timedelta(hours=2, minutes=59), rpo) == GREEN
    assert rpo_colour(timedelta(hours=3), rpo) == AMBER  # 75% of the RPO
    assert rpo_colour(timedelta(hours=4), rpo) == AMBER
    assert rpo_colour(timedelta(hours=4, minutes=1), rpo) == RED
    assert rpo_colour(None, rpo) == RED  # never backed up


@pytest.mark.parametrize(
    ("minutes", "dot"), [(10, "large_green_circle"), (200, "large_orange_circle"), (300, "red_circle")]
)
def test_status_shows_the_colour_for_the_age(bot, minutes, dot):
    _age_last_run(bot, minutes)  # the RPO is 240 minutes by default
    command(bot, "", ADMIN)
    shown = reply(bot, lambda body: "Last complete backup" in body)
    text = json.dumps(shown.body)
    assert f":{dot}:" in text
    assert f"{REPLICA_REGION}: ACTIVE" in text


def test_status_reports_an_unhealthy_replica(bot):
    bot["service"].run(FULL, "test")
    tables = bot["box"].global_tables
    tables.set_replica_status(
        "opsbot-catalog-backup", REPLICA_REGION, "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "KMS key disabled"
    )
    try:
        command(bot, "status", ANALYST)
        text = json.dumps(reply(bot, lambda body: "Replicas" in body).body)
    finally:
        tables.set_replica_status("opsbot-catalog-backup", REPLICA_REGION, "ACTIVE")
    assert f":x: {REPLICA_REGION}: INACCESSIBLE_ENCRYPTION_CREDENTIALS (KMS key disabled)" in text


def test_status_before_any_backup_is_red(bot):
    command(bot, "", ANALYST)
    assert ":red_circle: *No complete backup yet*" in json.dumps(reply(bot, lambda b: "No complete backup" in b).body)


@pytest.mark.usefixtures("leading")
def test_run_reports_progress_in_a_thread_and_history_lists_it(bot):
    slack = bot["box"].slack
    command(bot, "run", ADMIN)
    slack.wait_for("chat.postMessage", lambda c: "started a full catalog backup" in c.body.get("text", ""))
    # Progress lines go out at Slack's pace, one a second in the channel, before the final update.
    done = slack.wait_for("chat.update", lambda c: "succeeded" in c.body.get("text", ""), timeout=90)
    assert "assets" in done.body["text"] and "write call" in done.body["text"]
    thread = [c for c in slack.calls_to("chat.postMessage") if c.body.get("thread_ts")]
    assert any("glossary terms: 2 read" in c.body["text"] for c in thread)
    assert len({c.body["thread_ts"] for c in thread}) == 1 and done.body["ts"] == thread[0].body["thread_ts"]
    command(bot, "history 5", ANALYST)
    assert f"full by {ADMIN}" in json.dumps(reply(bot, lambda b: "Backup runs, newest first" in b).body)


@pytest.mark.slack_refusals("not_in_channel")
@pytest.mark.usefixtures("leading")
def test_a_run_from_a_channel_the_bot_is_not_in_reports_in_a_dm(bot):
    slack = bot["box"].slack
    slack.workspace.add_channel("C0QUIET", "quiet", member=False)
    bot["driver"].command("/backup", "run", user=ADMIN, channel_id="C0QUIET", response_url=slack.response_url())
    started = slack.wait_for("chat.postMessage", lambda c: c.body.get("channel") == ADMIN, timeout=30)
    assert "started a full catalog backup" in started.body["text"]
    done = slack.wait_for("chat.update", lambda c: "succeeded" in c.body.get("text", ""), timeout=90)
    assert done.body["channel"] == started.answer["channel"] and done.body["channel"].startswith("D")
    assert [r.error for r in slack.refused] == ["not_in_channel"]


def test_non_admins_are_refused(bot):
    for text in ("run", "verify", "restore plan", "restore apply plan-0123456789"):
        response = command(bot, text, ANALYST)
        assert "Only opsbot admins can do this" in json.loads(response.body)["text"], text
    assert bot["service"].store.recent(DOMAIN_ID) == []
    # The apply button is guarded too, whatever its value says; the refusal reaches the clicker.
    value = json.dumps({"plan": "plan-0123456789"})
    bot["driver"].click("backups.apply_plan", user=ANALYST, value=value, response_url=bot["box"].slack.response_url())
    reply(bot, lambda b: "Only opsbot admins" in b)
    assert not bot["box"].slack.calls_to("chat.postMessage")


def test_verify_finds_planted_drift(bot):
    bot["service"].run(FULL, "test")
    dz, world = bot["dz"], bot["box"].world
    stale = world.assets["customer_pii"]
    dz.create_asset_revision(domainIdentifier=DOMAIN_ID, identifier=stale, name="customer_pii", description="changed")
    glossary = next(iter(items(bot, "GLOSSARY")))
    missing = dz.create_glossary_term(
        domainIdentifier=DOMAIN_ID, glossaryIdentifier=glossary, name=f"Churn{uuid.uuid4().hex[:4]}"
    )
    bot["ddb"].put_item(
        TableName="opsbot-catalog-backup",
        Item={
            "pk": {"S": f"{DOMAIN_ID}#ASSET"},
            "sk": {"S": "ghost0asset"},
            "name": {"S": "ghost"},
            "hash": {"S": "x"},
            "body": {"S": "{}"},
            "deleted": {"BOOL": False},
        },
    )
    try:
        drift = bot["service"].verify()
        assert [i.id for i in drift.stale] == [stale]
        assert [i.id for i in drift.missing] == [missing["id"]]
        assert [i.id for i in drift.extra] == ["ghost0asset"]
        command(bot, "verify", ADMIN)
        text = json.dumps(reply(bot, lambda b: "Drift over" in b).body)
        assert "*1 missing*" in text and "*1 stale*" in text and "*1 extra*" in text
        bot["service"].run(FULL, "test")
        assert bot["service"].verify().clean
    finally:
        dz.delete_glossary_term(domainIdentifier=DOMAIN_ID, identifier=missing["id"])


def test_an_event_backs_up_one_entity(bot):
    bot["service"].run(FULL, "test")
    term = bot["box"].world.glossary_terms["Customer"]
    bot["dz"].update_glossary_term(domainIdentifier=DOMAIN_ID, identifier=term, shortDescription="Buys from us")
    # DataZone sends no event for glossary changes; CloudTrail's record of the call reaches EventBridge.
    bot["inbox"].handle(inbound(api_call("cloudtrail-update-glossary-term.json", DOMAIN_ID, {"identifier": term})))
    assert items(bot, "TERM")[term]["body"]["shortDescription"] == "Buys from us"
    [run] = bot["service"].store.recent(DOMAIN_ID, 1)
    assert (
        run.mode == "event"
        and run.items_written == 1
        and run.count_map == {"TERM": {"read": 1, "written": 1, "unchanged": 0, "tombstoned": 0, "errors": 0}}
    )
    assert bot["service"].verify().clean


def test_a_glossary_event_backs_up_the_glossary(bot):
    bot["service"].run(FULL, "test")
    term = bot["box"].world.glossary_terms["Customer"]
    glossary = bot["dz"].get_glossary_term(domainIdentifier=DOMAIN_ID, identifier=term)["glossaryId"]
    bot["dz"].update_glossary(domainIdentifier=DOMAIN_ID, identifier=glossary, description="Words we share")
    bot["inbox"].handle(inbound(api_call("cloudtrail-update-glossary.json", DOMAIN_ID, {"identifier": glossary})))
    assert items(bot, "GLOSSARY")[glossary]["body"]["description"] == "Words we share"
    assert bot["service"].verify().clean


def test_one_alert_per_failed_run_and_per_breach(bot, monkeypatch):
    admins = Alerts.of(bot["deps"].kernel, bot["service"].store)
    bot["box"].datazone_service.fail_next("ListProjects", "AccessDeniedException")
    failed = bot["service"].run(FULL, "schedule")
    assert alerts.run_finished(admins, failed) is True
    assert alerts.run_finished(admins, failed) is False  # a second replica, or a retry
    _age_last_run(bot, 500)
    assert alerts.rpo_checked(admins, bot["service"].status()) is True
    assert alerts.rpo_checked(admins, bot["service"].status()) is False  # the next watch, minutes later

    def posted():
        calls = bot["box"].slack.calls_to("chat.postMessage")
        return [c.body["text"] for c in calls if c.body.get("channel") == "C0DATAPLATFORM"]

    eventually(lambda: len(posted()) >= 2)  # through the outbox, paced per channel
    posted = posted()
    assert len(posted) == 2
    assert "failed" in posted[0] and "AccessDenied" in posted[0] and "breaches its RPO" in posted[1]


@given(st.text(max_size=120))
def test_no_typed_restore_or_history_text_crashes(text):
    for parse in (parse_restore, HistoryArgs.parse):
        try:
            parse(text)
        except BadInput as refused:
            assert "Usage:" in refused.message


@given(
    st.dictionaries(
        st.sampled_from(["metadata", "data"]),
        st.dictionaries(st.text(max_size=8), st.text(max_size=40) | st.integers()),
    )
)
def test_no_event_payload_crashes_the_event_reader(detail):
    event = InboundEvent(
        event_id="e1", source="aws.datazone", detail_type="Asset Added To Catalog", detail=detail, via="raw"
    )
    found = entity_of(event)
    assert found is None or found[0] == "ASSET"
