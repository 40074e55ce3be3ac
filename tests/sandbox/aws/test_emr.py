"""The EMR emulator: instance fleets ours, everything else moto's, through one endpoint and boto3."""

import json
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from sandbox.aws.alarms import set_alarm
from sandbox.aws.emr import EmrFleets
from sandbox.aws.jsonproto import JsonService
from sandbox.aws.notifications import cluster_state_change, group_state_change
from sandbox.aws.restjson import EmulatorServer
from tests.harness import free_port
from tests.sandbox.aws.events_harness import EventsQueue, moto_client


@pytest.fixture(scope="module")
def moto_url():
    """moto, behind the EMR emulator, also serving SQS, SNS and CloudWatch."""
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    yield f"http://127.0.0.1:{port}"
    moto.stop()


@pytest.fixture(scope="module")
def emr(moto_url):
    fleets = EmrFleets()
    fleets.add_cluster("j-FLEET1", "sales-analytics-ha", tags={"team": "sales"})
    server = EmulatorServer(JsonService("emr", fleets, moto_url).handle).start()
    client = boto3.client(
        "emr",
        region_name="eu-west-1",
        endpoint_url=server.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    groups = client.run_job_flow(  # served by moto through our endpoint
        Name="legacy-groups",
        ReleaseLabel="emr-6.15.0",
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Instances={
            "InstanceGroups": [
                {"Name": "Primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 3}
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
        },
    )["JobFlowId"]
    yield client, fleets, groups
    server.stop()


def test_fleet_cluster_has_three_primaries(emr):
    client, _, _ = emr
    cluster = client.describe_cluster(ClusterId="j-FLEET1")["Cluster"]
    assert (
        cluster["InstanceCollectionType"] == "INSTANCE_FLEET" and {"Key": "team", "Value": "sales"} in cluster["Tags"]
    )
    fleets = client.list_instance_fleets(ClusterId="j-FLEET1")["InstanceFleets"]
    assert {f["InstanceFleetType"] for f in fleets} == {"MASTER", "CORE"}
    primaries = client.list_instances(ClusterId="j-FLEET1", InstanceFleetType="MASTER")["Instances"]
    assert len(primaries) == 3 and all(i["Status"]["State"] == "RUNNING" for i in primaries)


def test_primary_failure_shows_a_replacement_with_the_same_address(emr):
    client, fleets, _ = emr
    failed, replacement = fleets.fail_primary("j-FLEET1")
    primaries = client.list_instances(ClusterId="j-FLEET1", InstanceFleetType="MASTER")["Instances"]
    states = {i["Ec2InstanceId"]: i["Status"]["State"] for i in primaries}
    assert states[failed["Ec2InstanceId"]] == "TERMINATED" and states[replacement["Ec2InstanceId"]] == "PROVISIONING"
    same_address = [i for i in primaries if i["PrivateIpAddress"] == failed["PrivateIpAddress"]]
    assert len(same_address) == 2 and len({i["PrivateDnsName"] for i in same_address}) == 1
    terminated = client.list_instances(ClusterId="j-FLEET1", InstanceStates=["TERMINATED"])["Instances"]
    assert terminated[0]["Status"]["Timeline"]["EndDateTime"] is not None
    fleets.finish_replacement("j-FLEET1")
    running = client.list_instances(ClusterId="j-FLEET1", InstanceFleetType="MASTER", InstanceStates=["RUNNING"])
    assert len(running["Instances"]) == 3


def test_group_clusters_and_other_calls_go_to_moto(emr):
    client, _, groups = emr
    assert client.describe_cluster(ClusterId=groups)["Cluster"]["Name"] == "legacy-groups"
    assert client.list_instance_groups(ClusterId=groups)["InstanceGroups"][0]["InstanceGroupType"] == "MASTER"
    assert client.list_instance_fleets(ClusterId=groups)["InstanceFleets"] == []
    names = {c["Name"] for c in client.list_clusters()["Clusters"]}
    assert {"sales-analytics-ha", "legacy-groups"} <= names


def test_errors_are_the_models(emr):
    client, _, _ = emr
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.list_instance_groups(ClusterId="j-FLEET1")
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.list_instances(ClusterId="j-FLEET1", InstanceGroupTypes=["MASTER"])
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.list_instances(ClusterId="j-FLEET1", InstanceStates=["EXPLODED"])


@pytest.fixture
def announced(emr, moto_events):
    """The fleet emulator publishing to a fresh events queue."""
    _, fleets, _ = emr
    fleets.add_cluster("j-EVENTS1", "events-ha")
    fleets.publisher = moto_events.publisher
    yield fleets, moto_events
    fleets.publisher = None


@pytest.fixture
def moto_events(moto_url):
    queue = EventsQueue(moto_url, f"emr-events-{uuid.uuid4().hex[:8]}")
    yield queue
    queue.close()


def test_a_lost_primary_and_its_replacement_send_fleet_state_changes(announced):
    fleets, queue = announced
    fleets.fail_primary("j-EVENTS1")
    [resizing] = queue.take()
    assert resizing["source"] == "aws.emr" and resizing["detail-type"] == "EMR Instance Fleet State Change"
    assert resizing["resources"] == ["arn:aws:elasticmapreduce:eu-west-1:123456789012:cluster/j-EVENTS1"]
    master = next(f for f in fleets.clusters["j-EVENTS1"].fleets if f["InstanceFleetType"] == "MASTER")
    detail = resizing["detail"]
    assert set(detail) == FLEET_FIELDS
    assert (detail["clusterId"], detail["instanceFleetId"], detail["instanceFleetType"], detail["state"]) == (
        "j-EVENTS1",
        master["Id"],
        "MASTER",
        "RESIZING",
    )
    assert (detail["provisionedOnDemandCapacity"], detail["targetOnDemandCapacity"]) == (2, 3)
    fleets.finish_replacement("j-EVENTS1")
    [running] = queue.take()
    assert running["detail"]["state"] == "RUNNING" and running["detail"]["provisionedOnDemandCapacity"] == 3
    fleets.finish_replacement("j-EVENTS1")  # nothing was resizing: nothing to say
    assert queue.take() == []


def test_group_and_cluster_events_carry_the_documented_fields():
    group = group_state_change("j-GROUPS1", "ig-MASTER1", "RESIZING", 2, 3)
    assert group["detail-type"] == "EMR Instance Group State Change" and set(group["detail"]) == GROUP_FIELDS
    cluster = cluster_state_change("j-GROUPS1", "legacy", "TERMINATED_WITH_ERRORS", code="INSTANCE_FAILURE")
    assert cluster["detail-type"] == "EMR Cluster State Change" and set(cluster["detail"]) == CLUSTER_FIELDS
    assert json.loads(cluster["detail"]["stateChangeReason"])["code"] == "INSTANCE_FAILURE"


def test_setting_an_alarm_keeps_its_state_and_notifies_only_on_a_change(moto_url):
    cloudwatch, sns, sqs = (moto_client(name, moto_url) for name in ("cloudwatch", "sns", "sqs"))
    queue = sqs.create_queue(QueueName=f"alarms-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=f"alarms-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    name = f"opsbot-j-ALARM1-{uuid.uuid4().hex[:6]}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/ElasticMapReduce",
        MetricName="MultiMasterInstanceGroupNodesRunning",
        Dimensions=[{"Name": "JobFlowId", "Value": "j-ALARM1"}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=3,
        ComparisonOperator="LessThanThreshold",
        AlarmActions=[topic],
        OKActions=[topic],
    )

    def notifications():
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        for message in got:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(json.loads(m["Body"])["Message"]) for m in got]

    set_alarm(cloudwatch, sns, name, "j-ALARM1", "ALARM")
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "ALARM"
    [alarm] = notifications()
    assert (alarm["AlarmName"], alarm["NewStateValue"], alarm["Region"]) == (name, "ALARM", "EU (Ireland)")
    assert alarm["Trigger"]["Dimensions"] == [{"value": "j-ALARM1", "name": "JobFlowId"}]
    assert set_alarm(cloudwatch, sns, name, "j-ALARM1", "ALARM") == "ALARM"
    assert notifications() == []
    set_alarm(cloudwatch, sns, name, "j-ALARM1", "OK")
    [ok] = notifications()
    assert (ok["NewStateValue"], ok["OldStateValue"]) == ("OK", "ALARM")
    assert cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "OK"


FLEET_FIELDS = {
    "severity",
    "clusterId",
    "instanceFleetId",
    "instanceFleetType",
    "state",
    "message",
    "provisionedOnDemandCapacity",
    "provisionedSpotCapacity",
    "targetOnDemandCapacity",
    "targetSpotCapacity",
}
GROUP_FIELDS = {
    "market",
    "severity",
    "requestedInstanceCount",
    "instanceType",
    "instanceGroupType",
    "instanceGroupId",
    "clusterId",
    "runningInstanceCount",
    "state",
    "message",
}
CLUSTER_FIELDS = {"severity", "stateChangeReason", "name", "clusterId", "state", "message"}
