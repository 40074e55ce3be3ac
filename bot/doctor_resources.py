"""The kernel's AWS resources checked by `opsbot doctor` (the events queue and topics), and what every resource
check shares: the Finding line, doctor-only reads, a FAIL line from an error. Capabilities check their own
resources (Capability.doctor) with these.

Checks use the permissions the bot has anyway where they can. Where a check needs a read the bot itself
never makes (the kernel's sqs:GetQueueAttributes, sns:GetTopicAttributes, sns:ListSubscriptionsByTopic; each
capability declares its own in Capability.doctor_reads), a denial reads "cannot check: needs <action>" and is
skipped, not failed: least privilege may rightly leave it out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from bot.aws import AwsClients
from bot.doctor_probes import error_code, is_denied
from bot.settings import Settings

if TYPE_CHECKING:  # bot.capability names this module's Finding
    from bot.capability import Capability

# A handler holds a message while it works; shorter than this, a slow one sees its message delivered twice.
MIN_VISIBILITY_SECONDS = 30
MISSING = frozenset(
    {
        "ResourceNotFoundException",
        "NotFound",
        "NotFoundException",
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
    }
)


@dataclass(frozen=True)
class Finding:
    """One resource line: name, status (PASS, WARN, FAIL, SKIP) and detail."""

    name: str
    status: str
    detail: str


# Reads only the kernel's doctor checks make, to check what the bot's own calls cannot show; each capability
# declares its own (Capability.doctor_reads). The stack's policy grants the union.
KERNEL_DOCTOR_READS = frozenset({"sqs:GetQueueAttributes", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"})
# The reads the checks running now may make: the union over the capabilities being checked (see checking_reads).
_declared_reads: ContextVar[frozenset[str]] = ContextVar("declared_doctor_reads", default=KERNEL_DOCTOR_READS)


def doctor_reads(capabilities: Sequence[Capability]) -> frozenset[str]:
    """Every doctor-only read: the kernel's and each of `capabilities`'."""
    return KERNEL_DOCTOR_READS.union(*(capability.doctor_reads for capability in capabilities))


@contextmanager
def checking_reads(capabilities: Sequence[Capability]) -> Iterator[None]:
    """While doctor checks `capabilities`, doctor_read accepts the reads they declared (and the kernel's)."""
    token = _declared_reads.set(doctor_reads(capabilities))
    try:
        yield
    finally:
        _declared_reads.reset(token)


class Unchecked(Exception):
    """A read the bot does not need was denied."""


def doctor_read(call: Any, action: str, **params: Any) -> Any:
    """A read only the doctor makes: a denial means "cannot check", not a failure."""
    # Undeclared, the deployment policy (checked against the declared reads) would not grant it.
    assert action in _declared_reads.get(), f"{action}: declared in no doctor_reads"
    try:
        return call(**params)
    except botocore.exceptions.ClientError as exc:
        if is_denied(exc):
            raise Unchecked(f"cannot check: needs {action} (a read only doctor makes)") from None
        raise


def failed(name: str, exc: Exception) -> Finding:
    """A FAIL line for a resource whose check raised: denied, the service's own error, or no answer."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc)
        if is_denied(exc):
            return Finding(name, "FAIL", f"denied ({code})")
        return Finding(name, "FAIL", f"{code}: {exc.response.get('Error', {}).get('Message', '')}")
    return Finding(name, "FAIL", str(exc))


def _queue_arn(url: str, region: str | None, attributes: dict[str, str]) -> str:
    if "QueueArn" in attributes:
        return attributes["QueueArn"]
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def check_queue(settings: Settings, aws: AwsClients) -> tuple[list[Finding], str | None]:
    """The events queue exists, redrives to a DLQ, and hides a message long enough for a handler."""
    url = settings.events_queue_url
    if url is None:
        return [Finding("events queue", "SKIP", "skipped: OPSBOT_EVENTS_QUEUE_URL unset")], None
    sqs = aws.client("sqs")
    try:
        attributes = doctor_read(
            sqs.get_queue_attributes, "sqs:GetQueueAttributes", QueueUrl=url, AttributeNames=["All"]
        )["Attributes"]
    except Unchecked as exc:
        return [Finding("events queue", "SKIP", str(exc))], _queue_arn(url, settings.aws_region, {})
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in MISSING:
            return [Finding("events queue", "FAIL", f"no queue at {url}")], None
        return [failed("events queue", exc)], None
    except botocore.exceptions.BotoCoreError as exc:
        return [failed("events queue", exc)], None
    findings = [
        Finding("events queue", "PASS", f"{url} ({attributes.get('ApproximateNumberOfMessages', '?')} waiting)")
    ]
    redrive = attributes.get("RedrivePolicy")
    if redrive:
        policy = json.loads(redrive)
        dlq = str(policy.get("deadLetterTargetArn", "?")).rsplit(":", 1)[-1]
        findings.append(
            Finding("events queue DLQ", "PASS", f"redrives to {dlq} after {policy.get('maxReceiveCount')} receives")
        )
    else:
        findings.append(
            Finding(
                "events queue DLQ",
                "FAIL",
                "no redrive policy: a message the bot cannot handle would be received again and again",
            )
        )
    visibility = int(attributes.get("VisibilityTimeout", "0"))
    if visibility < MIN_VISIBILITY_SECONDS:
        findings.append(
            Finding(
                "events queue visibility",
                "WARN",
                f"{visibility} s: below {MIN_VISIBILITY_SECONDS} s a slow handler sees its message delivered twice",
            )
        )
    else:
        findings.append(Finding("events queue visibility", "PASS", f"{visibility} s"))
    return findings, _queue_arn(url, settings.aws_region, attributes)


def check_topics(settings: Settings, aws: AwsClients, queue_arn: str | None) -> list[Finding]:
    """Each SNS topic exists; the alarm topic delivers to the events queue."""
    topics = sorted(settings.topics | ({settings.alarm_topic_arn} if settings.alarm_topic_arn else set()))
    if not topics:
        return [Finding("SNS topics", "SKIP", "skipped: OPSBOT_SNS_TOPIC_ARNS and OPSBOT_ALARM_TOPIC_ARN unset")]
    sns = aws.client("sns")
    findings = []
    for arn in topics:
        name = f"SNS topic {arn.rsplit(':', 1)[-1]}"
        try:
            attributes = doctor_read(sns.get_topic_attributes, "sns:GetTopicAttributes", TopicArn=arn)["Attributes"]
            findings.append(
                Finding(name, "PASS", f"{attributes.get('SubscriptionsConfirmed', '?')} confirmed subscriptions")
            )
        except Unchecked as exc:
            findings.append(Finding(name, "SKIP", str(exc)))
        except botocore.exceptions.ClientError as exc:
            findings.append(
                Finding(name, "FAIL", f"no topic {arn}") if error_code(exc) in MISSING else failed(name, exc)
            )
            continue
        except botocore.exceptions.BotoCoreError as exc:
            findings.append(failed(name, exc))
            continue
        if arn == settings.alarm_topic_arn and queue_arn:
            findings.append(_delivers_to(sns, arn, queue_arn))
    return findings


def _delivers_to(sns: Any, topic: str, queue_arn: str) -> Finding:
    name = f"SNS topic {topic.rsplit(':', 1)[-1]} delivery"
    try:
        endpoints = []
        token = None
        while True:
            page = doctor_read(
                sns.list_subscriptions_by_topic,
                "sns:ListSubscriptionsByTopic",
                TopicArn=topic,
                **({"NextToken": token} if token else {}),
            )
            endpoints += [(s.get("Protocol"), s.get("Endpoint")) for s in page.get("Subscriptions", [])]
            token = page.get("NextToken")
            if not token:
                break
    except Unchecked as exc:
        return Finding(name, "SKIP", str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return failed(name, exc)
    if ("sqs", queue_arn) in endpoints:
        return Finding(name, "PASS", f"delivers to the events queue {queue_arn.rsplit(':', 1)[-1]}")
    return Finding(name, "FAIL", f"not subscribed by the events queue {queue_arn}: alarms would never reach the bot")
