"""Every intake form becomes one validated signal; anything else is an UnknownShape, never a crash."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.inbox.envelope import MalformedMessage, parse_message
from handlers.failover.parse import parse_signal
from handlers.failover.signals import PERCENTAGE, AlertSignal, UnknownShape, multimaster_severity, origin
from sandbox.aws.notifications import alarm_message, alarm_state_change, fleet_state_change, sns_envelope

CLUSTER = "j-TEST0001"
AT = datetime(2026, 11, 21, 12, 30, 5, 123000, tzinfo=UTC)


def _signal(body: str) -> AlertSignal:
    return parse_signal(parse_message(body, str(uuid.uuid4())))


def test_sns_alarm_notification():
    signal = _signal(sns_envelope(alarm_message("opsbot-j-TEST0001-primary-lost", CLUSTER, "ALARM", at=AT)))
    assert signal.kind == "alarm" and signal.form == "sns" and signal.health == "bad"
    assert signal.cluster_id == CLUSTER and signal.key == f"123456789012/eu-west-1/cluster:{CLUSTER}"
    assert signal.value == 2.0 and signal.threshold == 3.0 and signal.comparison == "LessThanThreshold"
    assert signal.region == "eu-west-1" and signal.account == "123456789012"  # from the ARN, not "EU (Ireland)"
    assert signal.changed_at == AT and signal.severity == "primary_lost"


def test_eventbridge_alarm_state_change_is_the_same_transition():
    sns = _signal(sns_envelope(alarm_message("a1", CLUSTER, "ALARM", at=AT)))
    eventbridge = _signal(json.dumps(alarm_state_change("a1", CLUSTER, "ALARM", at=AT)))
    assert eventbridge.form == "eventbridge"
    same = ("key", "reporter", "state", "changed_at", "value", "threshold", "health", "severity", "cluster_id")
    assert {f: getattr(sns, f) for f in same} == {f: getattr(eventbridge, f) for f in same}
    assert sns.key.startswith("123456789012/eu-west-1/")  # EventBridge's envelope says where, like the ARN


def test_the_same_cluster_id_in_another_account_is_another_alert():
    here = _signal(json.dumps(alarm_state_change("a1", CLUSTER, "ALARM", at=AT)))
    elsewhere = _signal(json.dumps(alarm_state_change("a1", CLUSTER, "ALARM", at=AT, account="210987654321")))
    assert here.key != elsewhere.key
    assert origin(here.key) == ("123456789012", "eu-west-1") and origin("alarm:cpu-high") == (None, None)


def test_ok_is_good_and_insufficient_data_is_neutral():
    assert _signal(sns_envelope(alarm_message("a1", CLUSTER, "OK"))).health == "good"
    assert _signal(sns_envelope(alarm_message("a1", CLUSTER, "INSUFFICIENT_DATA"))).health == "neutral"


def test_alarm_without_a_cluster_is_keyed_by_its_name():
    message = alarm_message("cpu-high", CLUSTER, "ALARM")
    message["Trigger"]["Dimensions"] = [{"name": "InstanceId", "value": "i-1"}]
    signal = _signal(sns_envelope(message))
    assert signal.cluster_id is None and signal.key == "123456789012/eu-west-1/alarm:cpu-high"


def test_metric_math_alarm_finds_the_cluster_in_its_metrics():
    message = alarm_message("math", CLUSTER, "ALARM")
    trigger = message["Trigger"]
    for key in ("MetricName", "Namespace", "Dimensions"):
        trigger.pop(key)
    trigger["Metrics"] = [
        {"Id": "e1", "Expression": "m1 / 3", "ReturnData": True},
        {
            "Id": "m1",
            "MetricStat": {
                "Metric": {
                    "MetricName": "MultiMasterInstanceGroupNodesRunning",
                    "Namespace": "AWS/ElasticMapReduce",
                    "Dimensions": [{"value": CLUSTER, "name": "JobFlowId"}],
                },
                "Period": 300,
                "Stat": "Minimum",
            },
        },
    ]
    signal = _signal(sns_envelope(message))
    assert signal.cluster_id == CLUSTER and signal.metric == "MultiMasterInstanceGroupNodesRunning"


def test_primary_fleet_losing_a_node_and_recovering():
    lost = _signal(json.dumps(fleet_state_change(CLUSTER, "if-1", "RESIZING", 2, 3)))
    assert lost.kind == "emr" and lost.health == "bad" and lost.severity == "primary_lost"
    assert lost.reporter == "emr:fleet:if-1" and lost.running == 2 and lost.requested == 3
    assert _signal(json.dumps(fleet_state_change(CLUSTER, "if-1", "RESIZING", 1, 3))).severity == "quorum_lost"
    assert _signal(json.dumps(fleet_state_change(CLUSTER, "if-1", "RUNNING", 3, 3))).health == "good"
    assert _signal(json.dumps(fleet_state_change(CLUSTER, "if-2", "RESIZING", 4, 6, "CORE"))).health == "neutral"


def test_instance_group_counts_may_be_strings():
    body = {
        "version": "0",
        "id": "e-1",
        "detail-type": "EMR Instance Group State Change",
        "source": "aws.emr",
        "detail": {
            "clusterId": CLUSTER,
            "instanceGroupId": "ig-1",
            "instanceGroupType": "MASTER",
            "state": "RESIZING",
            "requestedInstanceCount": "3",
            "runningInstanceCount": "2",
        },
    }
    assert _signal(json.dumps(body)).severity == "primary_lost"


def test_cluster_state_change_reads_the_structured_reason_only():
    body = {
        "version": "0",
        "id": "e-2",
        "detail-type": "EMR Cluster State Change",
        "source": "aws.emr",
        "detail": {
            "clusterId": CLUSTER,
            "name": "sales",
            "state": "TERMINATED_WITH_ERRORS",
            "message": "free text that changes wording",
            "stateChangeReason": json.dumps({"code": "INTERNAL_ERROR", "message": "x"}),
        },
    }
    signal = _signal(json.dumps(body))
    assert signal.health == "bad" and signal.severity == "cluster_down" and signal.reason == "INTERNAL_ERROR"


@pytest.mark.parametrize(
    ("metric", "value", "threshold", "expected"),
    [
        ("MultiMasterInstanceGroupNodesRunning", 2, 3, "primary_lost"),
        ("MultiMasterInstanceGroupNodesRunning", 1, 3, "quorum_lost"),
        (PERCENTAGE, 66.7, 100, "primary_lost"),
        (PERCENTAGE, 33.3, 100, "quorum_lost"),
        (PERCENTAGE, 0.667, 1, "primary_lost"),  # the 0..1 scale reads the same
        (PERCENTAGE, 0.333, 1, "quorum_lost"),
        ("MultiMasterInstanceGroupNodesRequested", 3, 3, "other"),
    ],
)
def test_severity_of_multimaster_readings(metric, value, threshold, expected):
    assert multimaster_severity(metric, value, threshold) == expected


# -- no input crashes the parser ------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)


def _mutate(base: dict, draw_keys: dict) -> dict:
    out = json.loads(json.dumps(base))
    out.update(draw_keys)
    return out


def _parse_or_unknown(body: str) -> None:
    try:
        event = parse_message(body, "m-1")
    except MalformedMessage:
        return
    try:
        signal = parse_signal(event)
    except UnknownShape:
        return
    assert signal.health in ("bad", "good", "neutral", "ended") and signal.key


_SNS_KEYS = st.sampled_from(["AlarmName", "NewStateValue", "StateChangeTime", "Trigger", "AlarmArn", "Region"])
_EB_KEYS = st.sampled_from(["alarmName", "state", "previousState", "configuration"])
_EMR_KEYS = st.sampled_from(["clusterId", "state", "instanceFleetId", "instanceFleetType", "stateChangeReason"])
_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.dictionaries(_SNS_KEYS | st.text(max_size=10), _json, max_size=4))
def test_sns_alarm_shapes_never_crash(changes):
    _parse_or_unknown(sns_envelope(_mutate(alarm_message("a", CLUSTER, "ALARM"), changes)))


@_FUZZ
@given(st.dictionaries(_EB_KEYS | st.text(max_size=10), _json, max_size=4), _json)
def test_eventbridge_alarm_shapes_never_crash(changes, reason_data):
    event = alarm_state_change("a", CLUSTER, "ALARM")
    event["detail"] = _mutate(event["detail"], changes)
    if isinstance(event["detail"].get("state"), dict):
        event["detail"]["state"]["reasonData"] = json.dumps(reason_data)
    _parse_or_unknown(json.dumps(event))


@_FUZZ
@given(
    st.sampled_from(["EMR Instance Fleet State Change", "EMR Instance Group State Change", "EMR Cluster State Change"]),
    st.dictionaries(_EMR_KEYS | st.text(max_size=10), _json, max_size=4),
)
def test_emr_event_shapes_never_crash(detail_type, changes):
    event = fleet_state_change(CLUSTER, "if-1", "RESIZING", 2, 3)
    event["detail-type"] = detail_type
    event["detail"] = _mutate(event["detail"], changes)
    _parse_or_unknown(json.dumps(event))
