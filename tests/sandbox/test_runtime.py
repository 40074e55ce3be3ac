"""The seeded world, reached through real boto3 clients on the sandbox's endpoints."""

import json

import lancedb
import pytest

from sandbox.proteins import TABLE
from sandbox.runtime import start_sandbox
from sandbox.world import BACKUP_TABLE, CLUSTER_ID, RECOVERY_DOMAIN_ID


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


def test_protein_database_is_seeded_in_s3(box):
    assert box.proteins.startswith("s3://") and json.loads(box.env()["OPSBOT_PROTEIN_STORAGE_OPTIONS"])
    table = lancedb.connect(box.proteins, storage_options=box.protein_storage).open_table(TABLE)
    assert table.count_rows() == 500


def _drain(box):
    assert box.events.drain()
    sqs, events = box.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=box.world.queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=box.world.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return events


def test_the_seeded_world_is_quiet_and_changes_reach_the_queue_signed_by_who_made_them(box):
    assert _drain(box) == []  # the seeded history is announced to nobody
    maria = box.client("datazone", as_user="maria")
    request = maria.create_subscription_request(
        domainIdentifier=box.world.domain_id,
        requestReason="forecasting",
        subscribedPrincipals=[{"project": {"identifier": box.world.consumer_project}}],
        subscribedListings=[{"identifier": box.world.listings["store_locations"]}],
    )
    events = _drain(box)
    created = next(e for e in events if e["detail-type"] == "Subscription Request Created")
    assert created["detail"]["metadata"]["id"] == request["id"]
    assert created["detail"]["data"]["requesterId"] == "usr_analyst"
    call = next(e for e in events if e["detail-type"] == "AWS API Call via CloudTrail")["detail"]
    assert call["eventName"] == "CreateSubscriptionRequest" and call["userIdentity"]["arn"].endswith(
        ":assumed-role/MarketingAnalyst/maria"
    )
    box.client("datazone", as_user="alice").reject_subscription_request(
        domainIdentifier=box.world.domain_id, identifier=request["id"]
    )
    events = _drain(box)
    rejected = next(e for e in events if e["detail-type"] == "Subscription Request Rejected")["detail"]
    assert rejected["metadata"]["user"] == "usr_alice"
    call = next(e for e in events if e["detail-type"] == "AWS API Call via CloudTrail")["detail"]
    assert call["userIdentity"]["arn"] == "arn:aws:iam::123456789012:user/alice"


def test_a_primary_failure_is_announced_by_emr(box):
    box.emr_fleets.fail_primary(CLUSTER_ID)
    box.emr_fleets.finish_replacement(CLUSTER_ID)
    events = _drain(box)
    assert [(e["detail-type"], e["detail"]["state"]) for e in events] == [
        ("EMR Instance Fleet State Change", "RESIZING"),
        ("EMR Instance Fleet State Change", "RUNNING"),
    ]


def test_only_the_sandbox_domains_events_reach_the_queue(box):
    _drain(box)
    box.client("datazone").create_project(domainIdentifier=RECOVERY_DOMAIN_ID, name="restored")
    assert _drain(box) == []
