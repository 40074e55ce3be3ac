"""`opsbot doctor` over the sandbox: resources and permissions pass, denials and gaps fail by name, nothing changes."""

from __future__ import annotations

import json
import re
from dataclasses import asdict

import pytest
from click.testing import CliRunner

from bot.cli import Composition, main
from bot.doctor_probes import permission_probes
from opsbot.capabilities import CAPABILITIES
from sandbox.runtime import start_sandbox
from sandbox.world import BACKUP_TABLE, REPLICA_REGION

# Every IAM action the bot probes: the kernel's and each capability's.
PROBED = {action for action, _probe in permission_probes(CAPABILITIES)}


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("doctor"))
    yield sandbox
    sandbox.stop()


@pytest.fixture
def env(box, tmp_path):
    settings = {**box.env(), "OPSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    assert CliRunner().invoke(main, ["db", "upgrade"], env=settings, obj=Composition(CAPABILITIES)).exit_code == 0
    return settings


def doctor(env: dict[str, str], **changes: str | None):
    """Run `opsbot doctor` with the sandbox environment, some variables changed (None unsets)."""
    result = CliRunner().invoke(main, ["doctor"], env={**env, **changes}, obj=Composition(CAPABILITIES))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def lines(output: str, status: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"{status}  ")]


def test_doctor_passes_every_resource_and_permission_check_over_the_sandbox(env):
    result = doctor(env)
    assert result.exit_code == 0, result.output
    assert lines(result.output, "FAIL") == [] and lines(result.output, "WARN") == []
    assert lines(result.output, "SKIP") == []
    for action in PROBED:
        assert re.search(rf"^PASS  permission {re.escape(action)}: allowed", result.output, re.M), action
    for resource in (
        "events queue",
        "events queue DLQ",
        "SNS topic opsbot-alarms delivery",
        "backup table",
        "backup table PITR",
        "backup table encryption",
        f"backup replica {REPLICA_REGION}",
        "DataZone domain",
        "protein database",
        "EMR",
        "CloudWatch",
    ):
        assert f"PASS  {resource}: " in result.output
    assert "PASS  permission datazone:AcceptSubscriptionRequest: allowed (ResourceNotFoundException" in result.output
    assert "PASS  permission dynamodb:PutItem: allowed (ConditionalCheckFailedException" in result.output
    assert "PASS  permission sqs:DeleteMessage: allowed (ReceiptHandleIsInvalid" in result.output
    total = len(lines(result.output, "PASS"))
    assert result.output.strip().endswith(f"\n{total}/{total} checks passed.")


def _datazone(box) -> str:
    return json.dumps({k: asdict(d) for k, d in box.datazone_service.handlers.state.domains.items()}, default=str)


def _items(box, region: str) -> list[dict]:
    pages = box.client("dynamodb", region=region).get_paginator("scan").paginate(TableName=BACKUP_TABLE)
    return sorted((item for page in pages for item in page["Items"]), key=json.dumps)


def test_probes_change_nothing(box, env):
    sqs, cloudwatch = box.client("sqs"), box.client("cloudwatch")
    # Something in the table and on the queue, so a probe that wrote, deleted or received would show.
    box.client("dynamodb").put_item(
        TableName=BACKUP_TABLE, Item={"pk": {"S": "dzd_sandbox#PROJECT"}, "sk": {"S": "prj-kept"}}
    )
    sqs.send_message(QueueUrl=box.world.queue_url, MessageBody="left alone")
    datazone, primary, replica = _datazone(box), _items(box, "eu-west-1"), _items(box, REPLICA_REGION)
    alarms = sorted(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"])
    assert primary and replica == primary

    assert doctor(env).exit_code == 0

    assert _datazone(box) == datazone
    assert _items(box, "eu-west-1") == primary and _items(box, REPLICA_REGION) == replica
    assert sorted(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]) == alarms
    received = sqs.receive_message(
        QueueUrl=box.world.queue_url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in received] == [("left alone", "1")]
    for message in received:
        sqs.delete_message(QueueUrl=box.world.queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_a_denied_datazone_action_fails_naming_it(box, env):
    box.datazone_service.fail_next("AcceptSubscriptionRequest", "AccessDeniedException")
    result = doctor(env)
    assert result.exit_code == 1
    assert lines(result.output, "FAIL") == [
        "FAIL  permission datazone:AcceptSubscriptionRequest: denied (AccessDeniedException)"
    ]
    assert "PASS  permission datazone:RejectSubscriptionRequest: allowed" in result.output


def test_a_denied_dynamodb_write_fails_naming_it(box, env):
    box.global_tables.fail_next("BatchWriteItem", "AccessDeniedException")
    result = doctor(env)
    assert result.exit_code == 1
    assert lines(result.output, "FAIL") == ["FAIL  permission dynamodb:BatchWriteItem: denied (AccessDeniedException)"]


def test_a_missing_or_unhealthy_replica_fails(box, env):
    result = doctor(env, OPSBOT_BACKUP_REPLICA_REGIONS=f"{REPLICA_REGION},us-east-1")
    assert result.exit_code == 1
    assert "FAIL  backup replica us-east-1: opsbot-catalog-backup has no replica in us-east-1" in result.output

    box.global_tables.set_replica_status(BACKUP_TABLE, REPLICA_REGION, "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "key")
    try:
        result = doctor(env)
    finally:
        box.global_tables.set_replica_status(BACKUP_TABLE, REPLICA_REGION, "ACTIVE")
    assert result.exit_code == 1
    assert f"FAIL  backup replica {REPLICA_REGION}: replica is INACCESSIBLE_ENCRYPTION_CREDENTIALS key" in result.output


def test_missing_queue_table_and_domain_fail(box, env):
    queue = box.world.queue_url.rsplit("/", 1)[0] + "/no-such-queue"
    result = doctor(env, OPSBOT_EVENTS_QUEUE_URL=queue, OPSBOT_BACKUP_TABLE="no-such-table")
    assert result.exit_code == 1
    assert f"FAIL  events queue: no queue at {queue}" in result.output
    assert "FAIL  backup table: no table no-such-table in eu-west-1" in result.output


def test_a_queue_without_a_dead_letter_queue_fails(box, env):
    url = box.client("sqs").create_queue(QueueName="opsbot-events-no-dlq", Attributes={"VisibilityTimeout": "5"})[
        "QueueUrl"
    ]
    result = doctor(env, OPSBOT_EVENTS_QUEUE_URL=url)
    assert result.exit_code == 1
    assert "FAIL  events queue DLQ: no redrive policy" in result.output
    assert "WARN  events queue visibility: 5 s" in result.output
    # The alarm topic delivers to the real queue, not this one.
    assert "FAIL  SNS topic opsbot-alarms delivery: not subscribed by the events queue" in result.output


def test_probes_only_what_the_settings_make_relevant(env):
    unset = {
        name: None
        for name in (
            "OPSBOT_BACKUP_TABLE",
            "OPSBOT_BACKUP_REPLICA_REGIONS",
            "OPSBOT_EVENTS_QUEUE_URL",
            "OPSBOT_ALARM_TOPIC_ARN",
            "OPSBOT_SNS_TOPIC_ARNS",
            "OPSBOT_DATAZONE_DOMAIN_ID",
            "OPSBOT_PROTEIN_DB",
        )
    }
    result = doctor(env, **unset)
    assert result.exit_code == 0, result.output
    assert "SKIP  permission dynamodb:BatchWriteItem: skipped: OPSBOT_BACKUP_TABLE unset" in result.output
    assert "SKIP  permission sqs:DeleteMessage: skipped: OPSBOT_EVENTS_QUEUE_URL unset" in result.output
    assert "SKIP  permission datazone:CreateAsset: skipped: OPSBOT_DATAZONE_DOMAIN_ID unset" in result.output
    assert "SKIP  permission cloudwatch:PutMetricAlarm: skipped: OPSBOT_ALARM_TOPIC_ARN unset" in result.output
    assert "SKIP  backup table: skipped: OPSBOT_BACKUP_TABLE unset" in result.output
    assert "PASS  permission elasticmapreduce:ListClusters: allowed" in result.output
    skipped = len(lines(result.output, "SKIP"))
    assert result.output.strip().endswith(f"; {skipped} skipped).") or result.output.strip().endswith(
        f"({skipped} skipped)."
    )


def test_without_an_aws_identity_nothing_is_probed(env):
    result = doctor(env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ENDPOINT_URL_STS="http://127.0.0.1:9")
    assert result.exit_code == 1
    assert "SKIP  AWS resources and permissions: skipped: no AWS identity" in result.output
    assert "permission " not in result.output
