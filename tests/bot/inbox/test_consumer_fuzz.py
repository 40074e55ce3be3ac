"""Hostile queue messages through the real consumer thread over moto: it keeps running and later events still arrive."""

import contextlib
import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.inbox.consumer import SqsConsumer
from bot.inbox.envelope import MAX_BODY_BYTES, MAX_DEPTH, MalformedMessage, parse_message
from bot.inbox.service import build_inbox
from sandbox.sns_signing import SnsSigner
from tests.bot.inbox.test_consumer import TOPIC, _count, _eventbridge, queues, received  # noqa: F401  (fixtures)
from tests.harness import eventually

# SQS accepts only these characters in a body (botocore's sqs model, SendMessage.MessageBody: #x9 | #xA | #xD |
# #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF); anything else never reaches the consumer.
sqs_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)).filter(lambda c: c in "\t\n\r" or c >= " "),
    max_size=200,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | sqs_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(sqs_text, inner, max_size=3),
    max_leaves=10,
)
depths = st.integers(min_value=MAX_DEPTH - 2, max_value=20_000)
nested = st.one_of(
    depths.map(lambda n: "[" * n + "]" * n),
    depths.map(lambda n: "[" * n),  # unbalanced: the issue's ~1.5 KB of `[` is n=1500
    depths.map(lambda n: '{"a":' * n + "1" + "}" * n),
    # brackets inside a string nest nothing: these parse
    depths.map(lambda n: json.dumps({"source": "aws.datazone", "detail-type": "x", "detail": {}, "k": "[" * n})),
    depths.map(lambda n: '{"id": "e", "detail-type": "x", "source": "s", "detail": ' + "[" * n + "]" * n + "}"),
)
huge = st.one_of(
    st.just('{"source": "s", "detail": "' + "x" * (MAX_BODY_BYTES - 100) + '"}'),
    st.just("[" * (MAX_BODY_BYTES - 10)),
    st.integers(4_301, 50_000).map(lambda n: '{"n": ' + "9" * n + "}"),  # over int's 4,300-digit limit
)
# EventBridge and SNS envelopes whose fields hold the wrong types (AWS's sample events name these fields).
eventbridge = st.fixed_dictionaries(
    {
        "version": st.just("0") | json_values,
        "id": st.text(min_size=1, max_size=20) | json_values,
        "detail-type": st.just("Subscription Request Created") | json_values,
        "source": st.just("aws.datazone") | json_values,
        "account": st.just("123456789012") | json_values,
        "region": st.just("eu-west-1") | json_values,
        "detail": json_values | st.just({"metadata": {"id": "req", "domain": "dzd_x"}}),
    }
).map(json.dumps)
sns = st.fixed_dictionaries(
    {
        "Type": st.just("Notification") | json_values,
        "MessageId": st.text(min_size=1, max_size=20) | json_values,
        "TopicArn": st.just(TOPIC) | json_values,
        "Message": eventbridge | json_values | nested,
        "Timestamp": st.just("2026-11-30T12:00:00.000Z") | json_values,
    }
).map(json.dumps)
alarm = st.fixed_dictionaries(
    {"AlarmName": json_values, "NewStateValue": json_values, "Trigger": json_values, "StateChangeTime": json_values}
).map(json.dumps)
bodies = st.one_of(nested, huge, sqs_text.filter(bool), json_values.map(json.dumps), eventbridge, sns, alarm)


@settings(max_examples=1_000, deadline=None, derandomize=True)
@given(body=bodies | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_no_body_raises_anything_but_malformed(body):
    with contextlib.suppress(MalformedMessage):
        parse_message(body, "sqs-id")


def test_the_issue_poison_is_malformed_not_a_recursion_error():
    body = "[" * 1500
    assert len(body) == 1500
    try:
        parse_message(body, "m")
    except MalformedMessage as exc:
        assert f"deeper than {MAX_DEPTH}" in str(exc)
    else:
        raise AssertionError("a 1,500-deep body parsed")


def test_poison_messages_never_stop_the_consumer(queues, sqlite_deps, received):  # noqa: F811
    sqs, queue, dlq = queues
    # A handler that fails once per event too: a failing handler is as normal as a poison body.
    consumer = SqsConsumer(
        sqlite_deps.aws.client("sqs"),
        queue,
        build_inbox(sqlite_deps),
        sqlite_deps.metrics,
        wait_seconds=1,
        backoff=lambda _count: 0,
    )
    consumer.start()
    signer = SnsSigner()
    try:

        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
            ],
        )
        @given(poison=bodies, wrapped=st.booleans())
        def poison_then_event(poison, wrapped):
            sqs.send_message(QueueUrl=queue, MessageBody=poison)
            event_id = f"after-{uuid.uuid4().hex[:8]}"
            valid = _eventbridge(event_id)
            # The valid event after the poison arrives either way the queue gets it: EventBridge or SNS.
            body = json.dumps(signer.notification(TOPIC, valid)) if wrapped else valid
            sqs.send_message(QueueUrl=queue, MessageBody=body)
            eventually(lambda: event_id in {e.event_id for e in received["events"]}, timeout=30)
            # Nothing stays stuck: the poison is deleted (it parsed and was routed or not) or went to the DLQ.
            eventually(lambda: _count(sqs, queue) == 0, timeout=30)
            assert consumer.liveness.problem() is None

        poison_then_event()
    finally:
        consumer.stop()
    # The boundary held by itself: the supervisor never had to start the loop again.
    assert consumer.restarts == 0
    assert _count(sqs, dlq) > 0
