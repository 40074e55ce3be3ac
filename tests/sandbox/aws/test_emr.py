"""The EMR emulator: instance fleets ours, everything else moto's, through one endpoint and boto3."""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from sandbox.aws.emr import EmrFleets
from sandbox.aws.jsonproto import JsonService
from sandbox.aws.restjson import EmulatorServer
from tests.harness import free_port


@pytest.fixture(scope="module")
def emr():
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    fleets = EmrFleets()
    fleets.add_cluster("j-FLEET1", "sales-analytics-ha", tags={"team": "sales"})
    server = EmulatorServer(JsonService("emr", fleets, f"http://127.0.0.1:{port}").handle).start()
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
    moto.stop()


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
