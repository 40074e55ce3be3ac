"""The seeded world, reached through real boto3 clients on the sandbox's endpoints."""

import json

import lancedb
import pytest

from sandbox.proteins import TABLE
from sandbox.runtime import start_sandbox
from sandbox.world import BACKUP_TABLE, CLUSTER_ID


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield sandbox
    sandbox.stop()


def test_world_has_the_reference_asset_with_business_metadata(box):
    dz = box.client("datazone")
    asset = dz.get_asset(domainIdentifier=box.world.domain_id, identifier=box.world.assets["mkt_sls_table"])
    metadata = json.loads(asset["formsOutput"][0]["content"])
    assert metadata == {
        "classification": "internal",
        "owner": "sales-data-team",
        "refresh_frequency": "daily",
        "data_quality_score": 0.97,
    }
    assert asset["listing"]["listingStatus"] == "ACTIVE"


def test_two_pending_requests_one_internal_one_confidential(box):
    dz = box.client("datazone")
    requests = dz.list_subscription_requests(
        domainIdentifier=box.world.domain_id, approverProjectId=box.world.producer_project
    )["items"]
    names = {r["subscribedListings"][0]["name"] for r in requests}
    assert names == {"mkt_sls_table", "customer_pii"}


def test_alarms_publish_to_a_topic_delivered_to_the_queue(box):
    alarms = box.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"opsbot-{CLUSTER_ID}")["MetricAlarms"]
    assert {a["MetricName"] for a in alarms} == {
        "MultiMasterInstanceGroupNodesRunning",
        "MultiMasterInstanceGroupNodesRunningPercentage",
    }
    assert all(a["AlarmActions"] == [box.world.topic_arn] and a["TreatMissingData"] == "breaching" for a in alarms)
    sns, sqs = box.client("sns"), box.client("sqs")
    sns.publish(TopicArn=box.world.topic_arn, Message=json.dumps({"AlarmName": "x", "NewStateValue": "OK"}))
    [message] = sqs.receive_message(QueueUrl=box.world.queue_url, WaitTimeSeconds=2)["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == box.world.topic_arn
    sqs.delete_message(QueueUrl=box.world.queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_backup_table_and_env(box):
    assert box.client("dynamodb").describe_table(TableName=BACKUP_TABLE)["Table"]["TableStatus"] == "ACTIVE"
    env = box.env()
    assert env["AWS_ENDPOINT_URL_DATAZONE"] != env["AWS_ENDPOINT_URL"]
    assert env["OPSBOT_EVENTS_QUEUE_URL"] == box.world.queue_url and box.policy_path.exists()


def test_protein_database_is_seeded(box):
    assert lancedb.connect(box.proteins).open_table(TABLE).count_rows() == 500
