"""/cluster over the sandbox: watch is idempotent, status reads EMR and CloudWatch, bad input gets a clear answer."""

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import BadInput
from handlers.failover.commands import parse_duration
from sandbox.runtime import ADMIN, ANALYST
from sandbox.world import CLUSTER_ID, CLUSTER_NAME


def _reply(bot):
    return bot.slack.wait_for("response_url").body


def test_watch_twice_creates_the_alarms_once(bot):
    cloudwatch = bot.box.client("cloudwatch")
    names = [f"opsbot-{CLUSTER_ID}-primary-lost", f"opsbot-{CLUSTER_ID}-quorum-lost"]
    bot.driver.command("/cluster", f"watch {CLUSTER_NAME}", user=ADMIN)
    assert "Created" in _reply(bot)["text"]
    first = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    assert set(first) == set(names)
    alarm = first[names[0]]
    assert alarm["TreatMissingData"] == "breaching" and alarm["AlarmActions"] == [bot.box.world.topic_arn]
    assert alarm["Dimensions"] == [{"Name": "JobFlowId", "Value": CLUSTER_ID}] and alarm["Threshold"] == 3
    bot.slack.reset()
    bot.driver.command("/cluster", f"watch {CLUSTER_ID}", user=ADMIN)
    assert "Created" not in _reply(bot)["text"] and "already there" in _reply(bot)["text"]
    again = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    assert all(
        again[n]["AlarmConfigurationUpdatedTimestamp"] == first[n]["AlarmConfigurationUpdatedTimestamp"] for n in names
    )
    bot.slack.reset()
    bot.driver.command("/cluster", f"unwatch {CLUSTER_ID}", user=ADMIN)
    assert "Deleted" in _reply(bot)["text"]
    assert cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] == []


def test_watch_and_silence_are_for_admins(bot):
    response = bot.driver.command("/cluster", f"watch {CLUSTER_ID}", user=ANALYST)
    assert "Only opsbot admins" in json.loads(response.body)["text"]
    response = bot.driver.command("/cluster", f"silence {CLUSTER_ID} 1h", user=ANALYST)
    assert "Only opsbot admins" in json.loads(response.body)["text"]


def test_status_shows_primaries_alarms_and_events(bot):
    bot.alarm("ALARM")
    bot.driver.command("/cluster", f"status {CLUSTER_NAME}", user=ANALYST)
    text = json.dumps(_reply(bot))
    assert "WAITING" in text and "ip-10-0-0-11" in text
    assert f"opsbot-{CLUSTER_ID}-MultiMasterInstanceGroupNodesRunning" in text  # the sandbox's seeded alarm
    assert f"Alarm opsbot-{CLUSTER_ID}-primary-lost is ALARM" in text


def test_alerts_lists_open_ones(bot):
    bot.driver.command("/cluster", "alerts", user=ANALYST)
    assert "No open cluster alerts" in json.dumps(_reply(bot))
    bot.alarm("ALARM")
    bot.slack.reset()
    bot.driver.command("/cluster", "alerts", user=ANALYST)
    assert "sales-analytics-ha" in json.dumps(_reply(bot))


def test_silence_from_the_command_and_off_again(bot):
    bot.driver.command("/cluster", f"silence {CLUSTER_NAME} 2h", user=ADMIN)
    assert "silenced until" in _reply(bot)["text"]
    bot.slack.reset()
    bot.driver.command("/cluster", f"silence {CLUSTER_ID} off", user=ADMIN)
    assert "no longer silenced" in _reply(bot)["text"]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("status", "Give a cluster id"),
        ("status no-such-cluster", "No active EMR cluster named no-such-cluster"),
        ("status j-NOSUCH00001", "No EMR cluster j-NOSUCH00001"),
        (f"silence {CLUSTER_ID} forever", "Give a duration"),
        (f"silence {CLUSTER_ID} 30d", "from 1 minute to 7 days"),
        ("silence 1h", "Give a cluster and a duration"),
    ],
)
def test_bad_input_gets_a_clear_answer(bot, text, answer):
    bot.driver.command("/cluster", text, user=ADMIN)
    assert answer in _reply(bot)["text"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=20))
def test_any_duration_text_is_a_duration_or_bad_input(text):
    try:
        duration = parse_duration(text)
    except BadInput:
        return
    assert duration is None or timedelta(minutes=1) <= duration <= timedelta(days=7)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["status", "watch", "unwatch", "silence", "alerts", ""]), st.text(max_size=40))
def test_no_cluster_command_text_crashes_the_bot(bot, form, rest):
    bot.slack.reset()
    response = bot.driver.command("/cluster", f"{form} {rest}", user=ADMIN)
    assert response.status == 200
    answered = json.loads(response.body).get("text") if response.body else _reply(bot).get("text")
    assert answered and "error id" not in answered
