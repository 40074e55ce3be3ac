"""Published CloudWatch, EventBridge and EMR payloads through the SQS consumer (moto SQS) and POST /aws/sns."""

from __future__ import annotations

import json
import uuid

import pytest

from bot.inbox.consumer import SqsConsumer
from handlers.failover import ids
from sandbox.runtime import ADMIN_CHANNEL, SALES_CHANNEL
from sandbox.world import CLUSTER_ID, CLUSTER_NAME
from tests.conformance.aws_corpus import (
    emr_on_cluster,
    eventbridge_alarm_on_cluster,
    on_sandbox,
    sns_alarm,
    sqs_sns_body,
)
from tests.conformance.corpus import load, names

ALARMS = names("aws", "eventbridge.alarm.")
SNS_ALARMS = names("aws", "sns.alarm.")
ALARM_CONFIG_CHANGES = names("aws", "eventbridge.alarm_config.")
EMR_EVENTS = names("aws", "eventbridge.emr.")


class Queue:
    """A fresh events queue with a DLQ in the sandbox's moto, and the bot's consumer on it."""

    def __init__(self, bot):
        self.sqs = bot.box.client("sqs")
        name = uuid.uuid4().hex[:10]
        dlq = self.sqs.create_queue(QueueName=f"conformance-dlq-{name}")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
        self.url = self.sqs.create_queue(
            QueueName=f"conformance-{name}", Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "30"}
        )["QueueUrl"]
        self.consumer = SqsConsumer(bot.deps.aws.client("sqs"), self.url, bot.inbox, bot.deps.metrics, wait_seconds=1)

    def deliver(self, body: str) -> None:
        """Send one body and let the consumer take it."""
        self.sqs.send_message(QueueUrl=self.url, MessageBody=body)
        assert self.consumer.poll_once() == 1

    def left(self) -> int:
        """Messages still on the queue, visible or not: a handled message is deleted."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())


@pytest.fixture
def queue(bot):
    return Queue(bot)


def cards(bot, channel):
    """Top-level messages posted in `channel` (cards, not thread replies)."""
    return [
        c
        for c in bot.box.slack.calls_to("chat.postMessage")
        if c.body.get("channel") == channel and not c.body.get("thread_ts")
    ]


def card_text(bot, channel):
    call = bot.box.slack.wait_for(
        "chat.postMessage", lambda c: c.body.get("channel") == channel and not c.body.get("thread_ts"), timeout=15
    )
    return json.dumps(call.body, ensure_ascii=False)


# -- CloudWatch alarm state changes over EventBridge, as EventBridge puts them on the queue -----------


@pytest.mark.parametrize("name", ALARMS)
def test_published_alarm_state_change_cards_in_the_default_channel(bot, queue, name):
    event = load(name)
    queue.deliver(json.dumps(event))
    text = card_text(bot, ADMIN_CHANNEL)  # no cluster in it: the policy's default channel
    detail = event["detail"]
    # Named as an alarm where it lives, never as a cluster, and not said to be on one.
    assert f"alarm `{detail['alarmName']}` ({event['region']}, account {event['account']})" in text
    assert "names no EMR cluster" in text and "on this cluster" not in text
    assert queue.left() == 0


@pytest.mark.parametrize("name", [n for n in ALARMS if "composite" not in n])
def test_published_alarm_state_change_on_the_cluster_cards_in_its_channel(bot, queue, name):
    event = eventbridge_alarm_on_cluster(name)
    queue.deliver(json.dumps(event))
    text = card_text(bot, SALES_CHANNEL)  # routed by the cluster's tag team=sales
    assert CLUSTER_NAME in text and CLUSTER_ID in text and event["detail"]["alarmName"] in text
    assert ids.ACKNOWLEDGE in text
    assert queue.left() == 0


@pytest.mark.parametrize("name", ALARM_CONFIG_CHANGES)
def test_alarm_configuration_changes_are_taken_off_the_queue_and_say_nothing(bot, queue, name):
    queue.deliver(json.dumps(load(name)))
    assert queue.left() == 0
    assert bot.box.slack.calls_to("chat.postMessage") == []


# -- CloudWatch alarm JSON over SNS: wrapped in a notification, and by raw message delivery ------------


@pytest.mark.parametrize("name", SNS_ALARMS)
def test_published_sns_alarm_through_the_queue(bot, queue, name):
    alarm = sns_alarm(name, on_cluster=False)
    queue.deliver(sqs_sns_body(alarm, bot.box.world.topic_arn))
    assert alarm["AlarmName"] in card_text(bot, ADMIN_CHANNEL)
    assert queue.left() == 0


@pytest.mark.parametrize("name", SNS_ALARMS)
def test_published_sns_alarm_on_the_cluster_through_the_queue(bot, queue, name):
    queue.deliver(sqs_sns_body(sns_alarm(name, on_cluster=True), bot.box.world.topic_arn))
    text = card_text(bot, SALES_CHANNEL)
    assert CLUSTER_NAME in text and "1234 vs threshold 0" in text


@pytest.mark.parametrize("name", SNS_ALARMS)
def test_published_sns_alarm_by_raw_message_delivery(bot, queue, name):
    queue.deliver(json.dumps(sns_alarm(name, on_cluster=True)))
    assert CLUSTER_NAME in card_text(bot, SALES_CHANNEL)
    assert queue.left() == 0


@pytest.mark.parametrize(
    "message", [load("aws/sns.text_message.json")["Message"], load("aws/sqs.sns_notification_envelope.json")["Message"]]
)
def test_sns_messages_that_are_not_events_stay_for_the_dlq_and_say_nothing(bot, queue, message):
    envelope = load("aws/sqs.sns_notification_envelope.json")
    envelope["Message"] = message
    queue.deliver(json.dumps(envelope))
    assert queue.left() == 1  # not deleted: after maxReceiveCount receives the redrive moves it to the DLQ
    assert bot.box.slack.calls_to("chat.postMessage") == []


# -- EMR's own events ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EMR_EVENTS)
def test_published_emr_events_about_an_unknown_cluster_open_nothing(bot, queue, name):
    queue.deliver(json.dumps(load(name)))
    assert queue.left() == 0
    assert bot.box.slack.calls_to("chat.postMessage") == []


def test_published_instance_group_counts_as_text_update_the_primary_count_on_the_card(bot, queue):
    queue.deliver(sqs_sns_body(sns_alarm("aws/sns.alarm.single_metric.json", on_cluster=True), bot.box.world.topic_arn))
    card_text(bot, SALES_CHANNEL)
    # EMR writes the instance counts as strings ("2"), as the published event does.
    event = emr_on_cluster(
        "aws/eventbridge.emr.instance_group.json",
        instanceGroupType="MASTER",
        state="RESIZING",
        requestedInstanceCount="3",
        runningInstanceCount="2",
    )
    assert isinstance(event["detail"]["runningInstanceCount"], str)
    queue.deliver(json.dumps(event))
    update = bot.box.slack.wait_for("chat.update", lambda c: "2 of 3 running" in json.dumps(c.body), timeout=15)
    assert update.body["channel"] == SALES_CHANNEL
    assert queue.left() == 0


def test_published_cluster_terminated_on_the_cluster_shows_on_its_card(bot, queue):
    queue.deliver(sqs_sns_body(sns_alarm("aws/sns.alarm.single_metric.json", on_cluster=True), bot.box.world.topic_arn))
    card_text(bot, SALES_CHANNEL)
    queue.deliver(json.dumps(emr_on_cluster("aws/eventbridge.emr.cluster_terminated.json")))
    update = bot.box.slack.wait_for("chat.update", lambda c: "cluster TERMINATED" in json.dumps(c.body), timeout=15)
    # A cluster ended by its owner ends the incident: the card says so and loses its buttons.
    assert update.body["channel"] == SALES_CHANNEL and "Resolved at" in json.dumps(update.body)
    assert ids.ACKNOWLEDGE not in json.dumps(update.body)


# -- POST /aws/sns: SNS's HTTPS delivery, signed -------------------------------------------------------


@pytest.mark.parametrize("name", SNS_ALARMS)
def test_published_alarm_over_https_cards_on_the_cluster(bot, name):
    alarm = sns_alarm(name, on_cluster=True)
    notification = bot.signer.notification(bot.box.world.topic_arn, json.dumps(alarm), subject="ALARM: EXAMPLE")
    reply = bot.sns(notification)
    assert reply.status == 200 and reply.json() == {"outcome": "handled"}
    assert CLUSTER_NAME in card_text(bot, SALES_CHANNEL)


@pytest.mark.parametrize("name", ALARMS)
def test_published_eventbridge_alarm_through_an_sns_topic_over_https(bot, name):
    event = on_sandbox(load(name))
    reply = bot.sns(bot.signer.notification(bot.box.world.topic_arn, json.dumps(event)))
    assert reply.status == 200 and reply.json() == {"outcome": "handled"}
    assert event["detail"]["alarmName"] in card_text(bot, ADMIN_CHANNEL)


def test_a_text_notification_over_https_is_refused_as_malformed(bot):
    message = load("aws/sns.text_message.json")
    reply = bot.sns(bot.signer.notification(bot.box.world.topic_arn, message["Message"], subject=message["Subject"]))
    assert reply.status == 400
    assert bot.box.slack.calls_to("chat.postMessage") == []


def test_a_genuine_notification_from_another_topic_is_refused(bot):
    # powertools' published body is signed by SNS itself, for a topic that is not ours.
    reply = bot.sns(load("aws/sqs.sns_notification_envelope.json"))
    assert reply.status == 401
    assert bot.box.slack.calls_to("chat.postMessage") == []


def test_raw_message_delivery_over_https_is_refused_for_it_cannot_be_verified(bot):
    # Raw delivery drops SNS's envelope and with it the signature: the HTTPS subscription must not use it. Without
    # the envelope the body is not an SNS message at all, refused before any signature work (401 is for envelopes
    # whose signature or topic does not check out).
    reply = bot.sns(sns_alarm("aws/sns.alarm.single_metric.json", on_cluster=True))
    assert reply.status == 400 and "not an SNS message" in reply.body
    assert bot.box.slack.calls_to("chat.postMessage") == []
