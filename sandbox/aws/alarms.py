"""An alarm changing state as CloudWatch changes it: the state set in moto, then the alarm's actions notified."""

from __future__ import annotations

import json
from typing import Any

from sandbox.aws.notifications import REGION_NAMES, alarm_message


def set_alarm(cloudwatch: Any, sns: Any, alarm_name: str, cluster_id: str, state: str) -> str | None:
    """Put `alarm_name` in `state` (ALARM or OK); on a transition, publish CloudWatch's notification to its actions.

    Returns the state the alarm was in. moto keeps the state (DescribeAlarms answers with it) but runs no
    actions, so the notification CloudWatch would send to the alarm's SNS topics is published here, only when the
    state changes, as CloudWatch sends it.
    """
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    previous = alarm.get("StateValue")
    value = 2.0 if state == "ALARM" else 3.0
    reason = f"Threshold Crossed: 1 out of the last 1 datapoints [{value}] was evaluated by the sandbox."
    reason_data = {"version": "1.0", "statistic": "Minimum", "period": 300, "recentDatapoints": [value]}
    cloudwatch.set_alarm_state(
        AlarmName=alarm_name, StateValue=state, StateReason=reason, StateReasonData=json.dumps(reason_data)
    )
    if previous == state:
        return previous
    actions = alarm.get("AlarmActions", []) if state == "ALARM" else alarm.get("OKActions", [])
    _, _, _, region, account, *_ = alarm["AlarmArn"].split(":")
    message = alarm_message(
        alarm_name,
        cluster_id,
        state,
        metric=alarm["MetricName"],
        value=value,
        threshold=alarm["Threshold"],
        region=region,
        account=account,
    )
    message["OldStateValue"] = previous or "INSUFFICIENT_DATA"
    for topic in actions:
        sns.publish(
            TopicArn=topic,
            Message=json.dumps(message),
            Subject=f'{state}: "{alarm_name}" in {REGION_NAMES.get(region, region)}'[:100],
        )
    return previous


__all__ = ["set_alarm"]
