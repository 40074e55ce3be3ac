"""The recommended alarms on a cluster's MultiMaster metrics, created once and removed on request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.failover.signals import NAMESPACE, RUNNING


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm opsbot creates."""

    suffix: str
    description: str
    threshold: float

    def name(self, cluster_id: str) -> str:
        """The alarm's name: the cluster id in it keeps names unique across clusters."""
        return f"opsbot-{cluster_id}-{self.suffix}"


# Node counts, not the percentage: its scale (0..100 or 0..1) is documented both ways. An HA cluster has three.
RECOMMENDED = (
    AlarmSpec("primary-lost", "A primary node was lost; EMR is replacing it.", 3),
    AlarmSpec("quorum-lost", "Fewer than two primaries run: quorum lost, manual recovery needed.", 2),
)
# A cluster that cannot be reached reports nothing: that is the worst case, so missing data counts as breaching.
MISSING_DATA = "breaching"


def alarm_request(spec: AlarmSpec, cluster_id: str, topic_arn: str) -> dict[str, Any]:
    """put_metric_alarm's parameters for one recommended alarm."""
    return {
        "AlarmName": spec.name(cluster_id),
        "AlarmDescription": f"{spec.description} Created by opsbot /cluster watch.",
        "Namespace": NAMESPACE,
        "MetricName": RUNNING,
        "Dimensions": [{"Name": "JobFlowId", "Value": cluster_id}],
        "Statistic": "Minimum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "Threshold": spec.threshold,
        "ComparisonOperator": "LessThanThreshold",
        "TreatMissingData": MISSING_DATA,
        "AlarmActions": [topic_arn],
        "OKActions": [topic_arn],
    }


def _matches(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    keys = ("MetricName", "Namespace", "Threshold", "ComparisonOperator", "TreatMissingData", "Statistic", "Period")
    same = all(existing.get(k) == wanted[k] for k in keys)
    return same and wanted["AlarmActions"][0] in existing.get("AlarmActions", [])


def watch(cloudwatch: Any, cluster_id: str, topic_arn: str) -> tuple[list[str], list[str]]:
    """Create the recommended alarms that are missing or differ; returns (created, already there)."""
    wanted = {spec.name(cluster_id): alarm_request(spec, cluster_id, topic_arn) for spec in RECOMMENDED}
    existing = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=list(wanted))["MetricAlarms"]}
    created, present = [], []
    for name, request in wanted.items():
        if name in existing and _matches(existing[name], request):
            present.append(name)
            continue
        cloudwatch.put_metric_alarm(**request)
        created.append(name)
    return created, present


def unwatch(cloudwatch: Any, cluster_id: str) -> list[str]:
    """Delete the alarms `watch` created for the cluster; returns those deleted."""
    names = [spec.name(cluster_id) for spec in RECOMMENDED]
    existing = [a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]]
    if existing:
        cloudwatch.delete_alarms(AlarmNames=existing)
    return existing
