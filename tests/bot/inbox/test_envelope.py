"""Envelope parsing: every shape we expect unwraps; anything else is MalformedMessage, never a crash."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.inbox.envelope import SNS_ALARM_DETAIL_TYPE, MalformedMessage, parse_message

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
keys = st.sampled_from(
    ["Type", "MessageId", "TopicArn", "Message", "detail-type", "source", "id", "detail", "AlarmName", "NewStateValue"]
)
documents = st.dictionaries(keys, json_values | st.text(max_size=40), max_size=6)


@settings(max_examples=500, deadline=None)
@given(
    body=st.text(max_size=300)
    | documents.map(json.dumps)
    | documents.map(
        lambda d: json.dumps({"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": json.dumps(d)})
    )
)
def test_no_body_crashes_the_parser(body):
    try:
        event = parse_message(body, "sqs-id")
    except MalformedMessage:
        return
    assert event.event_id and event.source


def test_raw_alarm_json_is_an_alarm_notification():
    event = parse_message(json.dumps({"AlarmName": "a", "NewStateValue": "OK"}), "sqs-1")
    assert (event.source, event.detail_type, event.event_id, event.via) == (
        "aws.cloudwatch",
        SNS_ALARM_DETAIL_TYPE,
        "sqs-1",
        "raw",
    )
