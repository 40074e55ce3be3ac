"""The published AWS payloads, retargeted to the sandbox's account, region and cluster where a test needs it.

Only values change (ids, the metric an alarm watches); every key and nesting stays as AWS publishes it.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from handlers.failover.signals import NAMESPACE, RUNNING
from sandbox.world import ACCOUNT, CLUSTER_ID, REGION
from tests.conformance.corpus import load


def on_sandbox(event: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge event from the sandbox's account and region."""
    event = copy.deepcopy(event)
    event["account"], event["region"] = ACCOUNT, REGION
    event["resources"] = [r.replace("us-east-1", REGION).replace("123456789012", ACCOUNT) for r in event["resources"]]
    return event


def eventbridge_alarm_on_cluster(name: str) -> dict[str, Any]:
    """A published "CloudWatch Alarm State Change" whose metrics are the cluster's MultiMaster node count."""
    event = on_sandbox(load(name))
    for metric in event["detail"]["configuration"].get("metrics", []):
        if "metricStat" in metric:
            metric["metricStat"]["metric"].update(
                namespace=NAMESPACE, name=RUNNING, dimensions={"JobFlowId": CLUSTER_ID}
            )
    return event


def sns_alarm(name: str, *, on_cluster: bool) -> dict[str, Any]:
    """A published alarm JSON (the SNS Message); on the cluster's node count when `on_cluster`."""
    alarm = load(name)
    alarm["AlarmArn"] = alarm["AlarmArn"].replace("REGION", REGION).replace("ACCOUNT_NUMBER", ACCOUNT)
    if alarm["AWSAccountId"] == "EXAMPLE":
        alarm["AWSAccountId"] = ACCOUNT
    if on_cluster:
        dimensions = [{"value": CLUSTER_ID, "name": "JobFlowId"}]
        trigger = alarm["Trigger"]
        if "MetricName" in trigger:
            trigger.update(MetricName=RUNNING, Namespace=NAMESPACE, Dimensions=dimensions)
        for metric in trigger.get("Metrics", []):
            if "MetricStat" in metric:
                metric["MetricStat"]["Metric"].update(MetricName=RUNNING, Namespace=NAMESPACE, Dimensions=dimensions)
    return alarm


def emr_on_cluster(name: str, **detail: Any) -> dict[str, Any]:
    """A published EMR event about the sandbox's cluster, with `detail` values replaced."""
    event = on_sandbox(load(name))
    event["detail"].update(clusterId=CLUSTER_ID, **detail)
    return event


def sqs_sns_body(message: dict[str, Any], topic_arn: str) -> str:
    """An SQS body as SNS delivers to a queue: powertools' published snsSqsEvent body, carrying `message`."""
    envelope = load("aws/sqs.sns_notification_envelope.json")
    envelope.update(Message=json.dumps(message), TopicArn=topic_arn, MessageId=str(uuid.uuid4()))
    return json.dumps(envelope)
