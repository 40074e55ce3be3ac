"""The AWS resources the settings name, checked for `opsbot doctor`: queue, topics, backup table, replicas, domain.

Checks use the permissions the bot has anyway where they can. Where a check needs a read the bot itself
never makes (sqs:GetQueueAttributes, sns:GetTopicAttributes, sns:ListSubscriptionsByTopic,
dynamodb:DescribeContinuousBackups, kms:DescribeKey), a denial reads "cannot check: needs <action>" and is
skipped, not failed: least privilege may rightly leave it out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from bot.aws import AwsClients
from bot.doctor_probes import ACTIVE_STATES, error_code, is_denied
from bot.settings import Settings
from bot.wording import count

# Backup items are `pk = "<domain>#<KIND>"`, `sk = <entity id>` (handlers/backups/table.py).
EXPECTED_KEYS = {("pk", "HASH", "S"), ("sk", "RANGE", "S")}
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


# Reads only doctor makes, to check what the bot's own calls cannot show; the stack's policy grants them.
DOCTOR_READS = frozenset(
    {
        "sqs:GetQueueAttributes",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "dynamodb:DescribeContinuousBackups",
        "kms:DescribeKey",
    }
)


class _Unchecked(Exception):
    """A read the bot does not need was denied."""


def _code(exc: botocore.exceptions.ClientError) -> str:
    return error_code(exc)


def _extra(call: Any, action: str, **params: Any) -> Any:
    """A read only the doctor makes: a denial means "cannot check", not a failure."""
    assert action in DOCTOR_READS, action  # the list the deployment policy is checked against
    try:
        return call(**params)
    except botocore.exceptions.ClientError as exc:
        if is_denied(exc):
            raise _Unchecked(f"cannot check: needs {action} (a read only doctor makes)") from None
        raise


def _failed(name: str, exc: Exception) -> Finding:
    if isinstance(exc, botocore.exceptions.ClientError):
        code = _code(exc)
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
        attributes = _extra(sqs.get_queue_attributes, "sqs:GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])[
            "Attributes"
        ]
    except _Unchecked as exc:
        return [Finding("events queue", "SKIP", str(exc))], _queue_arn(url, settings.aws_region, {})
    except botocore.exceptions.ClientError as exc:
        if _code(exc) in MISSING:
            return [Finding("events queue", "FAIL", f"no queue at {url}")], None
        return [_failed("events queue", exc)], None
    except botocore.exceptions.BotoCoreError as exc:
        return [_failed("events queue", exc)], None
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
            attributes = _extra(sns.get_topic_attributes, "sns:GetTopicAttributes", TopicArn=arn)["Attributes"]
            findings.append(
                Finding(name, "PASS", f"{attributes.get('SubscriptionsConfirmed', '?')} confirmed subscriptions")
            )
        except _Unchecked as exc:
            findings.append(Finding(name, "SKIP", str(exc)))
        except botocore.exceptions.ClientError as exc:
            findings.append(Finding(name, "FAIL", f"no topic {arn}") if _code(exc) in MISSING else _failed(name, exc))
            continue
        except botocore.exceptions.BotoCoreError as exc:
            findings.append(_failed(name, exc))
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
            page = _extra(
                sns.list_subscriptions_by_topic,
                "sns:ListSubscriptionsByTopic",
                TopicArn=topic,
                **({"NextToken": token} if token else {}),
            )
            endpoints += [(s.get("Protocol"), s.get("Endpoint")) for s in page.get("Subscriptions", [])]
            token = page.get("NextToken")
            if not token:
                break
    except _Unchecked as exc:
        return Finding(name, "SKIP", str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return _failed(name, exc)
    if ("sqs", queue_arn) in endpoints:
        return Finding(name, "PASS", f"delivers to the events queue {queue_arn.rsplit(':', 1)[-1]}")
    return Finding(name, "FAIL", f"not subscribed by the events queue {queue_arn}: alarms would never reach the bot")


def check_backup_table(settings: Settings, aws: AwsClients) -> list[Finding]:
    """The backup table: ACTIVE, the expected keys, PITR, a customer managed key, and every replica."""
    name = settings.backup_table
    if name is None:
        return [Finding("backup table", "SKIP", "skipped: OPSBOT_BACKUP_TABLE unset")]
    dynamodb = aws.client("dynamodb")
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
    except botocore.exceptions.ClientError as exc:
        if _code(exc) in MISSING:
            return [Finding("backup table", "FAIL", f"no table {name} in {settings.aws_region}")]
        return [_failed("backup table", exc)]
    except botocore.exceptions.BotoCoreError as exc:
        return [_failed("backup table", exc)]
    findings = [_table_shape(table)]
    findings.append(_pitr(dynamodb, name))
    findings.append(_encryption(table, aws))
    findings += _replicas(settings, table, aws)
    return findings


def _table_shape(table: dict[str, Any]) -> Finding:
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    keys = {(k["AttributeName"], k["KeyType"], types.get(k["AttributeName"])) for k in table.get("KeySchema", [])}
    if table.get("TableStatus") != "ACTIVE":
        return Finding("backup table", "FAIL", f"{table['TableName']} is {table.get('TableStatus')}, not ACTIVE")
    if keys != EXPECTED_KEYS:
        wanted = ", ".join(f"{n} {t} ({a})" for n, t, a in sorted(EXPECTED_KEYS))
        return Finding("backup table", "FAIL", f"key schema {sorted(keys)}; backups need {wanted}")
    return Finding("backup table", "PASS", f"{table['TableName']} ACTIVE, keys pk (HASH, S) and sk (RANGE, S)")


def _pitr(dynamodb: Any, name: str) -> Finding:
    try:
        found = _extra(dynamodb.describe_continuous_backups, "dynamodb:DescribeContinuousBackups", TableName=name)
    except _Unchecked as exc:
        return Finding("backup table PITR", "SKIP", str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return _failed("backup table PITR", exc)
    status = (
        found["ContinuousBackupsDescription"]
        .get("PointInTimeRecoveryDescription", {})
        .get("PointInTimeRecoveryStatus", "DISABLED")
    )
    if status != "ENABLED":
        return Finding("backup table PITR", "WARN", f"point-in-time recovery {status}: a bad run cannot be undone")
    return Finding("backup table PITR", "PASS", "point-in-time recovery enabled")


def _encryption(table: dict[str, Any], aws: AwsClients) -> Finding:
    sse = table.get("SSEDescription") or {}
    key = sse.get("KMSMasterKeyArn")
    if sse.get("Status") not in ("ENABLED", "UPDATING") or sse.get("SSEType") != "KMS" or not key:
        return Finding("backup table encryption", "FAIL", "encrypted with an AWS owned key, not a customer managed one")
    try:
        manager = _extra(aws.client("kms").describe_key, "kms:DescribeKey", KeyId=key)["KeyMetadata"]["KeyManager"]
    except _Unchecked as exc:
        return Finding("backup table encryption", "SKIP", f"KMS key {key}; whether customer managed: {exc}")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return _failed("backup table encryption", exc)
    if manager != "CUSTOMER":
        return Finding("backup table encryption", "FAIL", f"KMS key {key} is AWS managed, not customer managed")
    return Finding("backup table encryption", "PASS", f"customer managed KMS key {key}")


def _replicas(settings: Settings, table: dict[str, Any], aws: AwsClients) -> list[Finding]:
    replicas = {r["RegionName"]: r for r in table.get("Replicas") or []}
    findings = []
    for region in settings.replica_regions:
        name = f"backup replica {region}"
        replica = replicas.get(region)
        if replica is None:
            findings.append(Finding(name, "FAIL", f"{table['TableName']} has no replica in {region}"))
            continue
        if replica.get("ReplicaStatus") != "ACTIVE":
            reason = replica.get("ReplicaStatusDescription") or ""
            findings.append(Finding(name, "FAIL", f"replica is {replica.get('ReplicaStatus')} {reason}".strip()))
            continue
        client = aws.client("dynamodb", region)
        try:
            own = client.describe_table(TableName=table["TableName"])["Table"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            findings.append(_failed(name, exc))
            continue
        findings.append(Finding(name, "PASS", f"ACTIVE in Replicas, and answers there ({own.get('TableStatus')})"))
    extra = sorted(set(replicas) - set(settings.replica_regions))
    if extra:
        findings.append(
            Finding("backup replicas", "WARN", f"replicas in {', '.join(extra)} not in OPSBOT_BACKUP_REPLICA_REGIONS")
        )
    return findings


def check_domain(settings: Settings, aws: AwsClients) -> Finding:
    """The DataZone domain answers, read through a call the bot makes anyway."""
    domain = settings.datazone_domain_id
    if domain is None:
        return Finding("DataZone domain", "SKIP", "skipped: OPSBOT_DATAZONE_DOMAIN_ID unset")
    try:
        page = aws.client("datazone").list_subscription_requests(
            domainIdentifier=domain, status="PENDING", maxResults=1
        )
    except botocore.exceptions.ClientError as exc:
        if _code(exc) in MISSING:
            return Finding("DataZone domain", "FAIL", f"no domain {domain} in {settings.aws_region}")
        return _failed("DataZone domain", exc)
    except botocore.exceptions.BotoCoreError as exc:
        return _failed("DataZone domain", exc)
    pending = "pending requests waiting" if page.get("items") else "no pending requests"
    return Finding("DataZone domain", "PASS", f"{domain} answers ({pending})")


def check_proteins(settings: Settings) -> Finding:
    """The protein database opens with LanceDB and holds buckets."""
    if settings.protein_db is None:
        return Finding("protein database", "SKIP", "skipped: OPSBOT_PROTEIN_DB unset")
    from handlers.proteins.catalog import Catalog  # LanceDB is heavy: load it only when asked

    try:
        buckets = Catalog(settings.protein_db, settings.protein_storage).buckets()
    except Exception as exc:  # LanceDB and object stores raise many kinds
        return Finding("protein database", "FAIL", f"{settings.protein_db}: {type(exc).__name__}: {exc}")
    if not buckets:
        return Finding(
            "protein database", "WARN", f"{settings.protein_db} holds no buckets: run `opsbot proteins ingest`"
        )
    return Finding(
        "protein database",
        "PASS",
        f"{count(len(buckets), 'bucket')}, {count(sum(buckets.values()), 'protein')} in {settings.protein_db}",
    )


def check_emr_cloudwatch(aws: AwsClients) -> list[Finding]:
    """EMR and CloudWatch answer: active clusters, the bot's alarms."""
    findings = []
    try:
        clusters = aws.client("emr").list_clusters(ClusterStates=ACTIVE_STATES).get("Clusters") or []
        findings.append(Finding("EMR", "PASS", f"reachable, {len(clusters)} active clusters on the first page"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        findings.append(_failed("EMR", exc))
    try:
        alarms = aws.client("cloudwatch").describe_alarms(AlarmNamePrefix="opsbot-", MaxRecords=100)
        count = len(alarms.get("MetricAlarms") or [])
        findings.append(Finding("CloudWatch", "PASS", f"reachable, {count} opsbot- alarms on the first page"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        findings.append(_failed("CloudWatch", exc))
    return findings
