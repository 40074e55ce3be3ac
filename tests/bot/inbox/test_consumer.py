"""The SQS consumer over moto: at least once, once per event id, poison messages to the DLQ by redrive."""

import json
import uuid

import boto3
import pytest

from bot.inbox.consumer import SqsConsumer, retry_delay
from bot.inbox.service import build_inbox
from sandbox.sns_signing import SnsSigner
from tests.harness import eventually

TOPIC = "arn:aws:sns:eu-west-1:123456789012:opsbot-events"


@pytest.fixture
def queues(moto_url, monkeypatch):
    """A queue with a DLQ; the test's own client to look at them, and the bot's clients pointed at moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sqs = boto3.client(
        "sqs",
        region_name="eu-west-1",
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = uuid.uuid4().hex[:8]
    dlq = sqs.create_queue(QueueName=f"dlq-{name}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName=f"events-{name}",
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
            "VisibilityTimeout": "30",
        },
    )["QueueUrl"]
    return sqs, queue, dlq


@pytest.fixture
def received(sqlite_deps):
    """Events the test capability got, and a switch to make its handler fail."""
    got = {"events": [], "fail": 0}

    def handler(event):
        if got["fail"]:
            got["fail"] -= 1
            raise RuntimeError("handler failed")
        got["events"].append(event)

    sqlite_deps.events.on("aws.datazone", "Subscription Request Created", handler)
    return got


def _eventbridge(event_id="ev-1", detail_type="Subscription Request Created"):
    return json.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": detail_type,
            "source": "aws.datazone",
            "account": "123456789012",
            "time": "2026-11-21T10:00:00Z",
            "region": "eu-west-1",
            "resources": [],
            "detail": {"metadata": {"id": "req-1", "domain": "dzd_x"}},
        }
    )


def _consumer(queue, deps):
    # The bot's own SQS client, as the runner passes it, so the suite records what the consumer calls.
    return SqsConsumer(deps.aws.client("sqs"), queue, build_inbox(deps), deps.metrics, wait_seconds=1)


def _count(sqs, queue):
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_eventbridge_message_is_routed_and_deleted(queues, sqlite_deps, received):
    sqs, queue, _ = queues
    sqs.send_message(QueueUrl=queue, MessageBody=_eventbridge())
    consumer = _consumer(queue, sqlite_deps)
    assert consumer.poll_once() == 1
    [event] = received["events"]
    assert (event.source, event.detail_type, event.via) == (
        "aws.datazone",
        "Subscription Request Created",
        "eventbridge",
    )
    assert event.detail["metadata"]["id"] == "req-1"
    assert _count(sqs, queue) == 0


def test_duplicate_delivery_is_handled_once(queues, sqlite_deps, received):
    sqs, queue, _ = queues
    for _ in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody=_eventbridge("ev-dup"))
    consumer = _consumer(queue, sqlite_deps)
    eventually(lambda: consumer.poll_once() == 0 and _count(sqs, queue) == 0)
    assert len(received["events"]) == 1
    metrics = sqlite_deps.metrics.render().decode()
    assert 'opsbot_inbox_events_total{outcome="duplicate",source="aws.datazone"} 1.0' in metrics


def test_sns_wrapped_eventbridge_event_is_unwrapped(queues, sqlite_deps, received):
    sqs, queue, _ = queues
    envelope = SnsSigner().notification(TOPIC, _eventbridge("ev-sns"))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(envelope))
    _consumer(queue, sqlite_deps).poll_once()
    [event] = received["events"]
    assert event.via == "sns" and event.topic_arn == TOPIC and event.event_id == "ev-sns"


def test_handler_failure_leaves_the_message_for_redelivery(queues, sqlite_deps, received):
    sqs, queue, _ = queues
    received["fail"] = 1
    sqs.send_message(QueueUrl=queue, MessageBody=_eventbridge("ev-retry"))
    consumer = SqsConsumer(
        sqlite_deps.aws.client("sqs"),
        queue,
        build_inbox(sqlite_deps),
        sqlite_deps.metrics,
        wait_seconds=1,
        backoff=lambda _count: 1,
    )
    consumer.poll_once()
    assert received["events"] == [] and _count(sqs, queue) == 1  # not deleted
    eventually(lambda: consumer.poll_once() == 0 and received["events"], timeout=15)
    assert [e.event_id for e in received["events"]] == ["ev-retry"]
    assert _count(sqs, queue) == 0


def test_malformed_message_goes_to_the_dlq_and_the_consumer_keeps_going(queues, sqlite_deps, received):
    sqs, queue, dlq = queues
    sqs.send_message(QueueUrl=queue, MessageBody="this is not json")
    sqs.send_message(QueueUrl=queue, MessageBody=_eventbridge("ev-after-poison"))
    consumer = _consumer(queue, sqlite_deps)
    eventually(lambda: consumer.poll_once() == 0 and _count(sqs, dlq) == 1, timeout=30)
    assert [e.event_id for e in received["events"]] == ["ev-after-poison"]
    [dead] = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert dead["Body"] == "this is not json"


def test_unrouted_events_are_logged_and_deleted(queues, sqlite_deps, received, caplog):
    sqs, queue, _ = queues
    sqs.send_message(QueueUrl=queue, MessageBody=_eventbridge("ev-other", detail_type="Asset Unpublished"))
    _consumer(queue, sqlite_deps).poll_once()
    assert received["events"] == [] and _count(sqs, queue) == 0
    [logged] = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg["event"] == "unrouted_event"]
    assert logged["detail_type"] == "Asset Unpublished" and logged["detail"]["metadata"]["id"] == "req-1"


def test_background_thread_starts_and_stops(queues, sqlite_deps, received):
    sqs, queue, _ = queues
    consumer = _consumer(queue, sqlite_deps)
    consumer.start()
    sqs.send_message(QueueUrl=queue, MessageBody=_eventbridge("ev-thread"))
    eventually(lambda: received["events"], timeout=15)
    consumer.stop()
    assert received["events"][0].event_id == "ev-thread"


def test_retry_delay_backs_off_and_is_capped():
    assert [retry_delay(n) for n in (1, 2, 3)] == [5, 10, 20]
    assert retry_delay(50) == 900
