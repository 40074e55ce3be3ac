"""`opsbot run` in Socket Mode with the events queue: the issue's poison body, then /healthz following each part."""

import json
import uuid

import boto3
import httpx
import pytest

from bot.db import Database
from bot.inbox.store import HandledEvents
from sandbox.slack_socket import FakeSocketMode
from tests.harness import eventually, free_port, opsbot_env, running_opsbot


@pytest.fixture
def socket_mode(fake_slack):
    servers = [FakeSocketMode().start()]
    fake_slack.socket_mode_url = servers[0].url
    yield servers
    for server in servers:
        server.stop()
    fake_slack.socket_mode_url = "ws://127.0.0.1:9/link"


def _health(port):
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    except httpx.TransportError:
        return None, {}
    return response.status_code, response.json()


def _event(event_id):
    # An event nothing routes: the inbox still records it as handled ("unrouted"), which the test can read.
    return json.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": "Asset Unpublished",
            "source": "aws.datazone",
            "account": "123456789012",
            "time": "2026-11-30T12:00:00Z",
            "region": "eu-west-1",
            "resources": [],
            "detail": {"metadata": {"id": "asset-1", "domain": "dzd_x"}},
        }
    )


def test_poison_does_not_stop_intake_and_healthz_follows_socket_mode(fake_slack, socket_mode, moto_url, tmp_path):
    sqs = boto3.client(
        "sqs", region_name="eu-west-1", endpoint_url=moto_url, aws_access_key_id="t", aws_secret_access_key="t"
    )
    name = uuid.uuid4().hex[:8]
    dlq = sqs.create_queue(QueueName=f"dlq-{name}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    queue = sqs.create_queue(QueueName=f"events-{name}", Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    env = opsbot_env(
        fake_slack, tmp_path, AWS_ENDPOINT_URL=moto_url, OPSBOT_EVENTS_QUEUE_URL=queue, OPSBOT_SQS_WAIT_SECONDS="1"
    )
    env.pop("SLACK_SIGNING_SECRET")
    port = free_port()
    with running_opsbot("socket", port, env, tmp_path) as (_process, stopped):
        socket_mode[0].wait_connected(timeout=60)
        eventually(lambda: _health(port) == (200, {"status": "ok"}), timeout=60)

        # The issue: about 1.5 KB of `[` once stopped all intake for good.
        sqs.send_message(QueueUrl=queue, MessageBody="[" * 1500)
        sqs.send_message(QueueUrl=queue, MessageBody=_event("ev-after-poison"))
        db = Database.from_url(env["OPSBOT_DATABASE_URL"])
        try:
            eventually(lambda: HandledEvents(db).seen("ev-after-poison"), timeout=60)
        finally:
            db.close()
        eventually(lambda: sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages"), timeout=60)
        assert _health(port) == (200, {"status": "ok"})

        # Slack's side goes away: the bot cannot take commands, and says so.
        socket_mode[0].stop()
        eventually(lambda: _health(port) == (503, {"status": "unhealthy", "socket_mode": "disconnected"}), timeout=60)
        socket_mode.append(FakeSocketMode().start())
        fake_slack.socket_mode_url = socket_mode[1].url
        socket_mode[1].wait_connected(timeout=90)
        eventually(lambda: _health(port) == (200, {"status": "ok"}), timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    assert '"event": "inbox_malformed_message"' in stopped.stderr and "nested deeper than 64" in stopped.stderr
