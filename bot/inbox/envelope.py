"""Unwrapping what arrives on the queue: SNS notifications, EventBridge events, or raw JSON."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.bounded_json import UnreadableJson, loads_bounded

Via = Literal["sns", "eventbridge", "raw"]

# CloudWatch alarm notifications over SNS carry no source or detail-type; they get these.
SNS_ALARM_SOURCE = "aws.cloudwatch"
SNS_ALARM_DETAIL_TYPE = "CloudWatch Alarm Notification"

# SQS refuses a body over 1 MiB (botocore's sqs model, SendMessage.MessageBody: "The maximum size is 1 MiB or
# 1,048,576 bytes"); a larger one did not come through SQS, so it is refused before any decoding.
MAX_BODY_BYTES = 1_048_576
# The deepest event we route (a CloudWatch alarm in EventBridge, metric-math alarms under SNS) nests under ten
# levels. json, pydantic and the log renderer all recurse once per level, and Python stops at 1,000 frames, so
# anything deeper is refused right after decoding (the decoder's own recursion guard stops the deepest input
# first) and never reaches them.
MAX_DEPTH = 64


class MalformedMessage(ValueError):
    """The body is not something the inbox understands; it goes to the DLQ by redrive."""


class InboundEvent(BaseModel):
    """One event, whichever way it came: the routing key, its payload and the id that makes it idempotent."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(min_length=1, max_length=256)
    source: str = Field(min_length=1, max_length=256)
    detail_type: str = Field(max_length=256)
    detail: dict[str, Any]
    via: Via
    topic_arn: str | None = None
    # EventBridge's envelope says where the event happened; its detail often does not.
    account: str | None = Field(None, max_length=32)
    region: str | None = Field(None, max_length=64)


class _SnsNotification(BaseModel):
    model_config = ConfigDict(extra="allow")

    Type: Literal["Notification"]
    MessageId: str = Field(min_length=1, max_length=256)
    TopicArn: str = Field(min_length=1)
    Message: str
    Subject: str | None = None


class _EventBridgeEvent(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str = Field(min_length=1, max_length=256)
    source: str = Field(min_length=1, max_length=256)
    detail_type: str = Field(alias="detail-type", max_length=256)
    detail: dict[str, Any]
    account: str | None = Field(None, max_length=32)
    region: str | None = Field(None, max_length=64)


def _json_object(text: object, what: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise MalformedMessage(f"{what} is not a string")
    try:
        value = loads_bounded(text, max_bytes=MAX_BODY_BYTES, max_depth=MAX_DEPTH)
    except UnreadableJson as exc:
        raise MalformedMessage(f"{what} is {exc}") from None
    if not isinstance(value, dict):
        raise MalformedMessage(f"{what} is not a JSON object")
    return value


def _event(**fields: Any) -> InboundEvent:
    try:
        return InboundEvent(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise MalformedMessage(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def _from_document(document: dict[str, Any], fallback_id: str, via: Via, topic_arn: str | None) -> InboundEvent:
    if "detail-type" in document:
        try:
            event = _EventBridgeEvent.model_validate(document)
        except ValidationError as exc:
            raise MalformedMessage(f"EventBridge event: {exc.errors()[0]['msg']}") from None
        return _event(
            event_id=event.id,
            source=event.source,
            detail_type=event.detail_type,
            detail=event.detail,
            via="eventbridge" if via == "raw" else via,
            topic_arn=topic_arn,
            account=event.account,
            region=event.region,
        )
    if "AlarmName" in document and "NewStateValue" in document:
        return _event(
            event_id=fallback_id,
            source=SNS_ALARM_SOURCE,
            detail_type=SNS_ALARM_DETAIL_TYPE,
            detail=document,
            via=via,
            topic_arn=topic_arn,
        )
    source = document.get("source")
    if isinstance(source, str) and source:
        event_id = document.get("id")
        return _event(
            event_id=event_id if isinstance(event_id, str) and event_id else fallback_id,
            source=source,
            detail_type=str(document.get("detail-type") or document.get("type") or ""),
            detail=document,
            via=via,
            topic_arn=topic_arn,
        )
    raise MalformedMessage("no source: neither an SNS notification, an EventBridge event nor an alarm")


def parse_message(body: str, message_id: str) -> InboundEvent:
    """The event in an SQS message body (SNS-wrapped, EventBridge or raw); MalformedMessage if none."""
    document = _json_object(body, "message body")
    if document.get("Type") == "Notification":
        try:
            notification = _SnsNotification.model_validate(document)
        except ValidationError as exc:
            raise MalformedMessage(f"SNS notification: {exc.errors()[0]['msg']}") from None
        inner = _json_object(notification.Message, "SNS Message")
        return _from_document(inner, notification.MessageId, "sns", notification.TopicArn)
    return _from_document(document, message_id, "raw", None)
