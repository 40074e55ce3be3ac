"""What EMR and CloudWatch say about a cluster: its primaries, its MultiMaster metrics, the alarms on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from bot.aws import AwsClients
from bot.errors import BadInput, NotFound
from handlers.failover.signals import CLUSTER_ID, NAMESPACE, PERCENTAGE, REQUESTED, RUNNING

METRICS = (RUNNING, PERCENTAGE, REQUESTED)
ACTIVE_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
# MultiMaster metrics arrive every five minutes.
PERIOD = 300


@dataclass(frozen=True)
class ClusterInfo:
    """The cluster as describe_cluster tells it."""

    cluster_id: str
    name: str
    state: str
    collection: str
    tags: dict[str, str]


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def primaries_view(instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Primary instances as the card shows them; a terminated one beside a newer one at its address was replaced."""
    live = {i.get("PrivateIpAddress"): i for i in instances if i["Status"]["State"] != "TERMINATED"}
    rows = []
    for instance in instances:
        status = instance["Status"]
        timeline = status.get("Timeline") or {}
        replacement = live.get(instance.get("PrivateIpAddress")) if status["State"] == "TERMINATED" else None
        rows.append(
            {
                "id": instance.get("Ec2InstanceId") or instance["Id"],
                "state": status["State"],
                "dns": instance.get("PrivateDnsName"),
                "ip": instance.get("PrivateIpAddress"),
                "started": _iso(timeline.get("CreationDateTime")),
                "replaced_at": _iso(timeline.get("EndDateTime")) if replacement else None,
                "replaced_by": (replacement.get("Ec2InstanceId") or replacement["Id"]) if replacement else None,
            }
        )
    return rows


class ClusterReader:
    """Reads clusters through EMR and CloudWatch; clients are resolved on use, so start-up needs no AWS."""

    def __init__(self, aws: AwsClients) -> None:
        self._aws = aws

    def describe(self, cluster_id: str) -> ClusterInfo:
        """describe_cluster, or NotFound."""
        try:
            cluster = self._aws.client("emr").describe_cluster(ClusterId=cluster_id)["Cluster"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("InvalidRequestException", "ResourceNotFoundException"):
                raise NotFound(f"No EMR cluster {cluster_id}.") from None
            raise
        return ClusterInfo(
            cluster_id=cluster["Id"],
            name=cluster.get("Name", cluster_id),
            state=cluster.get("Status", {}).get("State", "UNKNOWN"),
            collection=cluster.get("InstanceCollectionType", "INSTANCE_GROUP"),
            tags={t["Key"]: t.get("Value", "") for t in cluster.get("Tags") or []},
        )

    def resolve(self, cluster: str) -> str:
        """A cluster id from an id or the name of an active cluster."""
        if CLUSTER_ID.fullmatch(cluster):
            return cluster
        paginator = self._aws.client("emr").get_paginator("list_clusters")
        matches = [
            c["Id"]
            for page in paginator.paginate(ClusterStates=ACTIVE_STATES)
            for c in page["Clusters"]
            if c.get("Name") == cluster
        ]
        if not matches:
            raise NotFound(f"No active EMR cluster named {cluster[:80]}.")
        if len(matches) > 1:
            raise BadInput(
                f"{len(matches)} active clusters are named {cluster[:80]}: give the id ({', '.join(matches)})."
            )
        return matches[0]

    def primaries(self, info: ClusterInfo) -> list[dict[str, Any]]:
        """The primary instances, current and replaced, from list_instances."""
        paginator = self._aws.client("emr").get_paginator("list_instances")
        kind = (
            {"InstanceFleetType": "MASTER"}
            if info.collection == "INSTANCE_FLEET"
            else {"InstanceGroupTypes": ["MASTER"]}
        )
        instances = [i for page in paginator.paginate(ClusterId=info.cluster_id, **kind) for i in page["Instances"]]
        return primaries_view(instances)

    def metrics(self, cluster_id: str, now: datetime, hours: int = 3) -> dict[str, list[tuple[datetime, float]]]:
        """The MultiMaster metrics over the last `hours`, oldest first."""
        queries = [
            {
                "Id": f"m{n}",
                "Label": metric,
                "MetricStat": {
                    "Metric": {
                        "Namespace": NAMESPACE,
                        "MetricName": metric,
                        "Dimensions": [{"Name": "JobFlowId", "Value": cluster_id}],
                    },
                    "Period": PERIOD,
                    "Stat": "Minimum",
                },
            }
            for n, metric in enumerate(METRICS)
        ]
        paginator = self._aws.client("cloudwatch").get_paginator("get_metric_data")
        series: dict[str, list[tuple[datetime, float]]] = {metric: [] for metric in METRICS}
        for page in paginator.paginate(
            MetricDataQueries=queries, StartTime=now - timedelta(hours=hours), EndTime=now, ScanBy="TimestampAscending"
        ):
            for result in page["MetricDataResults"]:
                metric = METRICS[int(result["Id"][1:])]
                series[metric] += list(zip(result["Timestamps"], result["Values"], strict=False))
        return {metric: sorted(points) for metric, points in series.items()}

    def alarms(self, cluster_id: str) -> list[dict[str, Any]]:
        """Alarms on the cluster's MultiMaster metrics: name, state, metric, threshold."""
        cloudwatch = self._aws.client("cloudwatch")
        found: dict[str, dict[str, Any]] = {}
        for metric in METRICS:
            reply = cloudwatch.describe_alarms_for_metric(
                MetricName=metric, Namespace=NAMESPACE, Dimensions=[{"Name": "JobFlowId", "Value": cluster_id}]
            )
            for alarm in reply.get("MetricAlarms", []):
                dims = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
                if dims.get("JobFlowId") == cluster_id:
                    found[alarm["AlarmName"]] = {
                        "name": alarm["AlarmName"],
                        "state": alarm.get("StateValue", "INSUFFICIENT_DATA"),
                        "metric": metric,
                        "threshold": alarm.get("Threshold"),
                        "comparison": alarm.get("ComparisonOperator"),
                    }
        return sorted(found.values(), key=lambda a: a["name"])
