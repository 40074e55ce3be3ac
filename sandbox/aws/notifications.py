"""What CloudWatch and EMR send about a cluster, shaped as AWS sends it: alarm JSON for SNS, EventBridge events."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

RUNNING = "MultiMasterInstanceGroupNodesRunning"
REGION_NAMES = {"eu-west-1": "EU (Ireland)", "us-east-1": "US East (N. Virginia)"}


def _stamp(at: datetime | None) -> str:
    # CloudWatch writes milliseconds and a +0000 offset, not Z.
    return (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def alarm_message(
    alarm_name: str,
    cluster_id: str,
    state: str,
    *,
    metric: str = RUNNING,
    value: float = 2.0,
    threshold: float = 3.0,
    at: datetime | None = None,
    account: str = "123456789012",
    region: str = "eu-west-1",
) -> dict[str, Any]:
    """The alarm JSON CloudWatch publishes to SNS (the notification's `Message`)."""
    verb = "less than" if state == "ALARM" else "not less than"
    return {
        "AlarmName": alarm_name,
        "AlarmDescription": None,
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": _stamp(at),
        "NewStateValue": state,
        "NewStateReason": f"Threshold Crossed: 1 out of the last 1 datapoints [{value} "
        f"({time.strftime('%d/%m/%y %H:%M:%S')})] was {verb} the threshold ({threshold}) "
        "(minimum 1 datapoint for OK -> ALARM transition).",
        "StateChangeTime": _stamp(at),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm_name}",
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "OKActions": [],
        "AlarmActions": [],
        "InsufficientDataActions": [],
        "Trigger": {
            "MetricName": metric,
            "Namespace": "AWS/ElasticMapReduce",
            "StatisticType": "Statistic",
            "Statistic": "MINIMUM",
            "Unit": None,
            "Dimensions": [{"value": cluster_id, "name": "JobFlowId"}],
            "Period": 300,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": threshold,
            "TreatMissingData": "breaching",
            "EvaluateLowSampleCountPercentile": "",
        },
    }


def eventbridge_event(
    source: str, detail_type: str, detail: dict[str, Any], *, region: str = "eu-west-1", account: str = "123456789012"
) -> dict[str, Any]:
    """An event as EventBridge puts it on a queue."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [],
        "detail": detail,
    }


def alarm_state_change(
    alarm_name: str,
    cluster_id: str,
    state: str,
    *,
    metric: str = RUNNING,
    value: float = 2.0,
    threshold: float = 3.0,
    at: datetime | None = None,
    region: str = "eu-west-1",
    account: str = "123456789012",
) -> dict[str, Any]:
    """EventBridge's "CloudWatch Alarm State Change" for the same transition as `alarm_message`."""
    reason_data = {
        "version": "1.0",
        "queryDate": _stamp(at),
        "statistic": "Minimum",
        "period": 300,
        "recentDatapoints": [value],
        "threshold": threshold,
    }
    event = eventbridge_event(
        "aws.cloudwatch",
        "CloudWatch Alarm State Change",
        {
            "alarmName": alarm_name,
            "state": {
                "value": state,
                "reason": f"Threshold Crossed: 1 out of the last 1 datapoints [{value}] was evaluated.",
                "reasonData": json.dumps(reason_data),
                "timestamp": _stamp(at),
            },
            "previousState": {"value": "OK" if state == "ALARM" else "ALARM", "timestamp": _stamp(at)},
            "configuration": {
                "metrics": [
                    {
                        "id": "m1",
                        "metricStat": {
                            "metric": {
                                "namespace": "AWS/ElasticMapReduce",
                                "name": metric,
                                "dimensions": {"JobFlowId": cluster_id},
                            },
                            "period": 300,
                            "stat": "Minimum",
                        },
                        "returnData": True,
                    }
                ]
            },
        },
        region=region,
        account=account,
    )
    event["resources"] = [f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm_name}"]
    return event


# EMR's state-change details. Field names: EventBridge's generated patterns for aws.emr (aws-cdk mixins-preview
# aws_emr.events: EMRInstanceFleetStateChange, EMRInstanceGroupStateChange, EMRClusterStateChange,
# https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.mixins_preview.aws_emr.events/EMRInstanceFleetStateChange.html)
# and the EMR management guide's "Monitor Amazon EMR events with CloudWatch" sample events.
# `message` is EMR's free text, which consumers must not parse.


def _emr_event(detail_type: str, detail: dict[str, Any], cluster_arn: str | None) -> dict[str, Any]:
    event = eventbridge_event("aws.emr", detail_type, detail)
    event["resources"] = [cluster_arn] if cluster_arn else []
    return event


def fleet_state_change(
    cluster_id: str,
    fleet_id: str,
    state: str,
    provisioned: int | None,
    target: int | None,
    fleet_type: str = "MASTER",
    *,
    cluster_arn: str | None = None,
) -> dict[str, Any]:
    """EventBridge's "EMR Instance Fleet State Change" (on-demand capacity; the sandbox has no Spot)."""
    detail: dict[str, Any] = {
        "severity": "INFO" if state == "RUNNING" else "WARN",
        "clusterId": cluster_id,
        "instanceFleetId": fleet_id,
        "instanceFleetType": fleet_type,
        "state": state,
        "message": f"Instance fleet {fleet_id} in cluster {cluster_id} is {state}.",
    }
    if provisioned is not None:
        detail["provisionedOnDemandCapacity"] = provisioned
        detail["provisionedSpotCapacity"] = 0
    if target is not None:
        detail["targetOnDemandCapacity"] = target
        detail["targetSpotCapacity"] = 0
    return _emr_event("EMR Instance Fleet State Change", detail, cluster_arn)


def group_state_change(
    cluster_id: str,
    group_id: str,
    state: str,
    running: int,
    requested: int,
    group_type: str = "MASTER",
    *,
    instance_type: str = "m5.xlarge",
    cluster_arn: str | None = None,
) -> dict[str, Any]:
    """EventBridge's "EMR Instance Group State Change" (on-demand: no bid price).

    The counts are strings as in the EMR guide's sample event as read (unverified: the pattern reference gives no
    types); consumers should accept both.
    """
    detail = {
        "market": "ON_DEMAND",
        "severity": "INFO" if state == "RUNNING" else "WARN",
        "requestedInstanceCount": str(requested),
        "instanceType": instance_type,
        "instanceGroupType": group_type,
        "instanceGroupId": group_id,
        "clusterId": cluster_id,
        "runningInstanceCount": str(running),
        "state": state,
        "message": f"The resizing operation for instance group {group_id} in cluster {cluster_id} is {state}.",
    }
    return _emr_event("EMR Instance Group State Change", detail, cluster_arn)


def cluster_state_change(
    cluster_id: str,
    name: str,
    state: str,
    *,
    code: str | None = None,
    reason: str = "",
    cluster_arn: str | None = None,
) -> dict[str, Any]:
    """EventBridge's "EMR Cluster State Change"; `stateChangeReason` is a JSON string, as EMR sends it."""
    bad = state in ("TERMINATED_WITH_ERRORS",)
    detail = {
        "severity": "CRITICAL" if bad else "INFO",
        "stateChangeReason": json.dumps({"code": code, "message": reason} if code else {}),
        "name": name,
        "clusterId": cluster_id,
        "state": state,
        "message": f"Amazon EMR cluster {cluster_id} ({name}) is {state}.",
    }
    return _emr_event("EMR Cluster State Change", detail, cluster_arn)


def sns_envelope(message: dict[str, Any], topic_arn: str = "arn:aws:sns:eu-west-1:123456789012:opsbot-alarms") -> str:
    """An SQS message body as SNS delivers a notification to a queue (without raw message delivery)."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Subject": f"{message.get('NewStateValue')}: {message.get('AlarmName')}"[:100],
            "Message": json.dumps(message),
            "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "SignatureVersion": "1",
        }
    )
