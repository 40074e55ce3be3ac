"""`opsbot doctor`'s harmless probes of the AWS actions of failover alerts: EMR, CloudWatch metrics and alarms.

bot/doctor_probes.py says how each stays harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.exceptions

from bot.doctor_probes import (
    ABSENT_ALARM,
    ACTIVE_STATES,
    PROBE_ALARM,
    PROBE_CLUSTER,
    Outcome,
    Probe,
    ProbeContext,
    Probes,
    always,
    error_code,
    needs_alarm_topic,
)


def _metric_data(ctx: ProbeContext) -> Any:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    return ctx.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "probe",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ElasticMapReduce",
                        "MetricName": "MultiMasterInstanceGroupNodesRunning",
                        "Dimensions": [{"Name": "JobFlowId", "Value": PROBE_CLUSTER}],
                    },
                    "Period": 300,
                    "Stat": "Minimum",
                },
            }
        ],
        StartTime=end - timedelta(minutes=5),
        EndTime=end,
        MaxDatapoints=1,
    )


def _put_metric_alarm(ctx: ProbeContext) -> Any:
    # No invalid alarm is refused only after authorisation everywhere, so create one that can do nothing
    # (no actions, actions disabled) under the bot's prefix, and delete it straight away.
    cloudwatch = ctx.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=PROBE_ALARM,
        AlarmDescription="opsbot doctor permission probe; deleted at once",
        ActionsEnabled=False,
        Namespace="AWS/ElasticMapReduce",
        MetricName="MultiMasterInstanceGroupNodesRunning",
        Dimensions=[{"Name": "JobFlowId", "Value": PROBE_CLUSTER}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )
    try:
        cloudwatch.delete_alarms(AlarmNames=[PROBE_ALARM])
    except botocore.exceptions.ClientError as exc:
        return Outcome("FAIL", f"allowed, but the probe alarm {PROBE_ALARM} could not be deleted ({error_code(exc)})")
    return None


def _list_instances(ctx: ProbeContext) -> Any:
    # An active cluster is read for real (one page); without one, EMR answers InvalidRequestException.
    return ctx.client("emr").list_instances(ClusterId=ctx.cluster_id or PROBE_CLUSTER, InstanceStates=["RUNNING"])


PROBES: Probes = [
    (
        "elasticmapreduce:ListClusters",
        Probe(lambda ctx: ctx.client("emr").list_clusters(ClusterStates=ACTIVE_STATES), always),
    ),
    (
        "elasticmapreduce:DescribeCluster",
        Probe(lambda ctx: ctx.client("emr").describe_cluster(ClusterId=PROBE_CLUSTER), always),
    ),
    ("elasticmapreduce:ListInstances", Probe(_list_instances, always)),
    ("cloudwatch:GetMetricData", Probe(_metric_data, always)),
    (
        "cloudwatch:DescribeAlarms",
        Probe(lambda ctx: ctx.client("cloudwatch").describe_alarms(AlarmNamePrefix="opsbot-", MaxRecords=1), always),
    ),
    (
        "cloudwatch:DescribeAlarmsForMetric",
        Probe(
            lambda ctx: ctx.client("cloudwatch").describe_alarms_for_metric(
                Namespace="AWS/ElasticMapReduce",
                MetricName="MultiMasterInstanceGroupNodesRunning",
                Dimensions=[{"Name": "JobFlowId", "Value": PROBE_CLUSTER}],
            ),
            always,
        ),
    ),
    (
        "cloudwatch:PutMetricAlarm",
        Probe(_put_metric_alarm, needs_alarm_topic, note=f"created and deleted the action-less alarm {PROBE_ALARM}"),
    ),
    (
        "cloudwatch:DeleteAlarms",
        Probe(lambda ctx: ctx.client("cloudwatch").delete_alarms(AlarmNames=[ABSENT_ALARM]), always),
    ),
]
