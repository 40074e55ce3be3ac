"""The one validated model every failover signal becomes, and the CloudWatch alarm forms (SNS, EventBridge)."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.inbox.envelope import InboundEvent

NAMESPACE = "AWS/ElasticMapReduce"
RUNNING = "MultiMasterInstanceGroupNodesRunning"
PERCENTAGE = "MultiMasterInstanceGroupNodesRunningPercentage"
REQUESTED = "MultiMasterInstanceGroupNodesRequested"
EB_ALARM = "CloudWatch Alarm State Change"
CLUSTER_ID = re.compile(r"^j-[A-Z0-9]{1,32}$")
# SNS's alarm JSON has no datapoint field; its reason always shows the value first, in brackets.
_DATAPOINT = re.compile(r"\[(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
# SNS writes the region as a display name; the ARN, when there, has the code.
_REGIONS = {
    "US East (N. Virginia)": "us-east-1",
    "US East (Ohio)": "us-east-2",
    "US West (N. California)": "us-west-1",
    "US West (Oregon)": "us-west-2",
    "EU (Ireland)": "eu-west-1",
    "EU (London)": "eu-west-2",
    "EU (Paris)": "eu-west-3",
    "EU (Frankfurt)": "eu-central-1",
    "EU (Stockholm)": "eu-north-1",
    "Asia Pacific (Tokyo)": "ap-northeast-1",
    "Asia Pacific (Singapore)": "ap-southeast-1",
    "Asia Pacific (Sydney)": "ap-southeast-2",
}

Health = Literal["bad", "good", "neutral", "ended"]
Severity = Literal["quorum_lost", "primary_lost", "cluster_down", "other"]


class UnknownShape(ValueError):
    """A routed event whose shape we do not understand; it is logged and kept, never a crash."""


class AlertSignal(BaseModel):
    """One thing that happened to a cluster or an alarm, whichever way it arrived."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["alarm", "emr"]
    form: Literal["sns", "eventbridge", "raw"]
    reporter: str = Field(min_length=1, max_length=300)
    """What reports: `alarm:<name>`, `emr:fleet:<id>`, `emr:group:<id>` or `emr:cluster`."""
    cluster_id: str | None = Field(None, pattern=CLUSTER_ID.pattern)
    state: str = Field(min_length=1, max_length=64)
    previous_state: str | None = Field(None, max_length=64)
    health: Health
    severity: Severity = "other"
    changed_at: datetime
    title: str = Field(max_length=300)
    reason: str = Field("", max_length=1000)
    account: str | None = Field(None, max_length=32)
    region: str | None = Field(None, max_length=64)
    alarm_name: str | None = Field(None, max_length=255)
    metric: str | None = Field(None, max_length=255)
    comparison: str | None = Field(None, max_length=64)
    threshold: float | None = None
    value: float | None = None
    running: int | None = Field(None, ge=0, le=10_000)
    requested: int | None = Field(None, ge=0, le=10_000)

    @property
    def key(self) -> str:
        """The alert this signal belongs to: the cluster's incident, else the alarm on its own, per account and region.

        A signal that does not say where it comes from (an alarm over HTTPS without its ARN) keys without them.
        """
        what = f"cluster:{self.cluster_id}" if self.cluster_id else self.reporter
        return f"{self.account}/{self.region}/{what}" if self.account and self.region else what


_ORIGIN = re.compile(r"^(\d{12})/([a-z0-9-]{1,64})/")


def origin(key: str) -> tuple[str | None, str | None]:
    """The account and region an alert key names, if it names them (the inverse of AlertSignal.key)."""
    found = _ORIGIN.match(key)
    return (found.group(1), found.group(2)) if found else (None, None)


# -- CloudWatch alarms ---------------------------------------------------------------------------


class Loose(BaseModel):
    """A payload part that may carry more fields than we read."""

    model_config = ConfigDict(extra="allow")


class _SnsTrigger(Loose):
    MetricName: str | None = Field(None, max_length=255)
    Namespace: str | None = Field(None, max_length=255)
    Dimensions: list[Any] = Field(default_factory=list)
    ComparisonOperator: str | None = Field(None, max_length=64)
    Threshold: float | None = None
    Metrics: list[Any] = Field(default_factory=list)


class _SnsAlarm(Loose):
    AlarmName: str = Field(min_length=1, max_length=255)
    NewStateValue: str = Field(min_length=1, max_length=64)
    OldStateValue: str | None = Field(None, max_length=64)
    NewStateReason: str = ""
    StateChangeTime: str | None = None
    AWSAccountId: str | None = Field(None, max_length=32)
    AlarmArn: str | None = Field(None, max_length=2048)
    Region: str | None = Field(None, max_length=64)
    Trigger: _SnsTrigger | None = None

    @field_validator("AWSAccountId", "Region", "AlarmArn", "OldStateValue", "StateChangeTime", mode="before")
    @classmethod
    def _text_or_none(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class _EbState(Loose):
    value: str = Field(min_length=1, max_length=64)
    reason: str = ""
    reasonData: str | None = None
    timestamp: str | None = None


class _EbAlarm(Loose):
    alarmName: str = Field(min_length=1, max_length=255)
    state: _EbState
    previousState: _EbState | None = None
    configuration: dict[str, Any] = Field(default_factory=dict)


def aws_time(raw: Any) -> datetime:
    """AWS timestamps (`+0000` offsets, `Z`); a missing or unreadable one is now, not a failure."""
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.strip())
        except ValueError:
            return datetime.now(UTC)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    return datetime.now(UTC)


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def _cluster(value: Any) -> str | None:
    return value if isinstance(value, str) and CLUSTER_ID.fullmatch(value) else None


def _dig(value: Any, *keys: str) -> Any:
    """value[k1][k2]..., or None as soon as a level is not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _job_flow(dimensions: Any) -> str | None:
    """The JobFlowId in SNS's list of lower-case {name, value} dimensions."""
    for dimension in dimensions if isinstance(dimensions, list) else []:
        if str(_dig(dimension, "name") or "").lower() == "jobflowid":
            return _cluster(_dig(dimension, "value"))
    return None


def _sns_cluster(trigger: _SnsTrigger) -> tuple[str | None, str | None]:
    """(cluster id, metric name) from a plain trigger's dimensions, or from any metric of a metric-math alarm."""
    cluster = _job_flow(trigger.Dimensions)
    if cluster:
        return cluster, trigger.MetricName
    for metric in trigger.Metrics:
        inner = _dig(metric, "MetricStat", "Metric")
        cluster = _job_flow(_dig(inner, "Dimensions"))
        if cluster:
            return cluster, _text(_dig(inner, "MetricName"))
    return None, trigger.MetricName


def _eb_cluster(configuration: dict[str, Any]) -> tuple[str | None, str | None]:
    """(cluster id, metric name) from EventBridge's configuration, whose dimensions are a map."""
    metrics = configuration.get("metrics")
    for metric in metrics if isinstance(metrics, list) else []:
        inner = _dig(metric, "metricStat", "metric")
        cluster = _cluster(_dig(inner, "dimensions", "JobFlowId"))
        if cluster:
            return cluster, _text(_dig(inner, "name"))
    return None, None


def _reason_data(raw: str | None) -> tuple[float | None, float | None]:
    """(latest datapoint, threshold) from EventBridge's reasonData, a JSON string."""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    points = data.get("recentDatapoints")
    value = _number(points[-1]) if isinstance(points, list) and points else None
    return value, _number(data.get("threshold"))


def multimaster_severity(metric: str | None, value: float | None, threshold: float | None) -> Severity:
    """How bad a MultiMaster reading is: below half the primaries loses quorum; below all, one is being replaced."""
    reading = value if value is not None else threshold
    if metric == RUNNING and reading is not None:
        # HA clusters have three primaries: two keep quorum.
        return "quorum_lost" if reading < 2 else "primary_lost"
    if metric == PERCENTAGE and reading is not None:
        # Documented both as 0..100 and 0..1; a reading of at most 1 with a threshold of at most 1 is a fraction.
        scale = 100.0 if reading <= 1 and (threshold is None or threshold <= 1) else 1.0
        return "quorum_lost" if reading * scale < 50 else "primary_lost"
    return "other"


def _alarm_health(state: str) -> Health:
    return {"ALARM": "bad", "OK": "good"}.get(state.upper(), "neutral")


def _alarm_signal(
    form: Any, name: str, state: str, cluster: str | None, metric: str | None, **fields: Any
) -> AlertSignal:
    health = _alarm_health(state)
    severity = (
        multimaster_severity(metric, fields.get("value"), fields.get("threshold")) if health == "bad" else "other"
    )
    return AlertSignal(
        kind="alarm",
        form=form,
        reporter=f"alarm:{name}",
        cluster_id=cluster,
        state=state.upper(),
        health=health,
        severity=severity,
        title=name[:300],
        alarm_name=name,
        metric=metric,
        **fields,
    )


def sns_alarm(event: InboundEvent) -> AlertSignal:
    """The alarm JSON CloudWatch publishes to SNS."""
    alarm = _SnsAlarm.model_validate(event.detail)
    trigger = alarm.Trigger or _SnsTrigger()
    cluster, metric = _sns_cluster(trigger)
    arn = (alarm.AlarmArn or "").split(":")
    region = arn[3] if len(arn) > 5 and arn[3] else _REGIONS.get(alarm.Region or "", alarm.Region)
    found = _DATAPOINT.search(alarm.NewStateReason)
    return _alarm_signal(
        event.via,
        alarm.AlarmName,
        alarm.NewStateValue,
        cluster,
        metric,
        previous_state=alarm.OldStateValue,
        changed_at=aws_time(alarm.StateChangeTime),
        reason=alarm.NewStateReason[:1000],
        account=alarm.AWSAccountId,
        region=region,
        comparison=trigger.ComparisonOperator,
        threshold=_number(trigger.Threshold),
        value=_number(found.group(1)) if found else None,
    )


def eventbridge_alarm(event: InboundEvent) -> AlertSignal:
    """EventBridge's CloudWatch Alarm State Change."""
    alarm = _EbAlarm.model_validate(event.detail)
    cluster, metric = _eb_cluster(alarm.configuration)
    value, threshold = _reason_data(alarm.state.reasonData)
    return _alarm_signal(
        event.via,
        alarm.alarmName,
        alarm.state.value,
        cluster,
        metric,
        previous_state=alarm.previousState.value if alarm.previousState else None,
        changed_at=aws_time(alarm.state.timestamp),
        reason=alarm.state.reason[:1000],
        account=event.account,
        region=event.region,
        threshold=threshold,
        value=value,
    )
