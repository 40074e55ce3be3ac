"""Parsing any routed failover event into an AlertSignal, or UnknownShape."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from bot.inbox.envelope import SNS_ALARM_DETAIL_TYPE, InboundEvent
from handlers.failover.emr_events import EMR_CLUSTER, EMR_FLEET, EMR_GROUP, emr_signal
from handlers.failover.signals import EB_ALARM, AlertSignal, UnknownShape, eventbridge_alarm, sns_alarm

ALARM_FORMS = (("aws.cloudwatch", SNS_ALARM_DETAIL_TYPE), ("aws.cloudwatch", EB_ALARM))
EMR_FORMS = (("aws.emr", EMR_CLUSTER), ("aws.emr", EMR_FLEET), ("aws.emr", EMR_GROUP))


def parse_signal(event: InboundEvent, now: datetime | None = None) -> AlertSignal:
    """The signal in an inbound event; UnknownShape (with the first problem) for anything else."""
    try:
        if event.source == "aws.cloudwatch" and event.detail_type == SNS_ALARM_DETAIL_TYPE:
            return sns_alarm(event)
        if event.source == "aws.cloudwatch" and event.detail_type == EB_ALARM:
            return eventbridge_alarm(event)
        if event.source == "aws.emr" and event.detail_type in (EMR_CLUSTER, EMR_FLEET, EMR_GROUP):
            return emr_signal(event, now or datetime.now(UTC))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UnknownShape(f"{'.'.join(str(p) for p in first['loc']) or 'detail'}: {first['msg']}") from None
    raise UnknownShape(f"not a failover signal: {event.source} / {event.detail_type}")
