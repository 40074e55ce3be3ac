"""Doctor against moto enforcing IAM: an action the bot's policy denies fails by name; a doctor-only read is skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import httpx
import pytest
from click.testing import CliRunner

from bot.cli import Composition, main
from opsbot.capabilities import CAPABILITIES
from tests.harness import eventually, free_port, opsbot_env

# moto enforces IAM for SQS and SNS (not for CloudWatch or EMR): the denials are chosen among those.
DENY = ["sqs:DeleteMessage", "sqs:ReceiveMessage", "sqs:GetQueueAttributes", "sns:ListSubscriptionsByTopic"]


@pytest.fixture
def enforcing_moto(tmp_path: Path):
    """moto in its own process, enforcing IAM after its first three (setup) requests."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/moto-api/").status_code < 500
        except httpx.TransportError:
            return False

    try:
        eventually(up, timeout=30)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _bot_user(url: str) -> dict[str, str]:
    """An IAM user allowed everything but DENY: three unauthenticated setup calls, then its own keys."""
    iam = boto3.client(
        "iam", region_name="eu-west-1", endpoint_url=url, aws_access_key_id="setup", aws_secret_access_key="setup"
    )
    iam.create_user(UserName="opsbot")
    statements = [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": DENY, "Resource": "*"},
    ]
    iam.put_user_policy(
        UserName="opsbot",
        PolicyName="opsbot",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    key = iam.create_access_key(UserName="opsbot")["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def test_denied_actions_fail_by_name_and_doctor_only_reads_are_skipped(enforcing_moto, fake_slack, tmp_path):
    keys = _bot_user(enforcing_moto)
    kw = {"region_name": "eu-west-1", "endpoint_url": enforcing_moto} | {
        "aws_access_key_id": keys["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": keys["AWS_SECRET_ACCESS_KEY"],
    }
    queue = boto3.client("sqs", **kw).create_queue(QueueName="opsbot-events")["QueueUrl"]
    topic = boto3.client("sns", **kw).create_topic(Name="opsbot-alarms")["TopicArn"]
    env = opsbot_env(
        fake_slack,
        tmp_path,
        AWS_ENDPOINT_URL=enforcing_moto,
        OPSBOT_EVENTS_QUEUE_URL=queue,
        OPSBOT_ALARM_TOPIC_ARN=topic,
        **keys,
    )
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env, obj=Composition(CAPABILITIES)).exit_code == 0
    result = CliRunner().invoke(main, ["doctor"], env=env, obj=Composition(CAPABILITIES))
    assert result.exit_code == 1, result.output
    assert "PASS  AWS identity: arn:aws:iam::123456789012:user/opsbot" in result.output
    fails = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert fails == [
        "FAIL  permission sqs:DeleteMessage: denied (AccessDenied)",
        # Denied before SQS would refuse the probe's 11 messages: the probe cannot pass a denial off as allowed.
        "FAIL  permission sqs:ReceiveMessage: denied (AccessDenied)",
    ]
    assert (
        "PASS  permission sqs:ChangeMessageVisibility: allowed (ReceiptHandleIsInvalid on the probe)" in result.output
    )
    # Reads only doctor makes are not the bot's to have: least privilege may leave them out.
    assert "SKIP  events queue: cannot check: needs sqs:GetQueueAttributes (a read only doctor makes)" in result.output
    assert "SKIP  SNS topic opsbot-alarms delivery: cannot check: needs sns:ListSubscriptionsByTopic" in result.output
