"""`opsbot doctor`'s check of the backup table: ACTIVE, its keys, PITR, a customer managed key, every replica."""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from bot.aws import AwsClients
from bot.doctor_probes import error_code
from bot.doctor_resources import MISSING, Finding, Unchecked, doctor_read, failed
from bot.settings import Settings

# Backup items are `pk = "<domain>#<KIND>"`, `sk = <entity id>` (handlers/backups/table.py).
EXPECTED_KEYS = {("pk", "HASH", "S"), ("sk", "RANGE", "S")}


def check_backup_table(settings: Settings, aws: AwsClients) -> list[Finding]:
    """The backup table: ACTIVE, the expected keys, PITR, a customer managed key, and every replica."""
    name = settings.backup_table
    if name is None:
        return [Finding("backup table", "SKIP", "skipped: OPSBOT_BACKUP_TABLE unset")]
    dynamodb = aws.client("dynamodb")
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in MISSING:
            return [Finding("backup table", "FAIL", f"no table {name} in {settings.aws_region}")]
        return [failed("backup table", exc)]
    except botocore.exceptions.BotoCoreError as exc:
        return [failed("backup table", exc)]
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
        found = doctor_read(dynamodb.describe_continuous_backups, "dynamodb:DescribeContinuousBackups", TableName=name)
    except Unchecked as exc:
        return Finding("backup table PITR", "SKIP", str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return failed("backup table PITR", exc)
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
        manager = doctor_read(aws.client("kms").describe_key, "kms:DescribeKey", KeyId=key)["KeyMetadata"]["KeyManager"]
    except Unchecked as exc:
        return Finding("backup table encryption", "SKIP", f"KMS key {key}; whether customer managed: {exc}")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return failed("backup table encryption", exc)
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
            findings.append(failed(name, exc))
            continue
        findings.append(Finding(name, "PASS", f"ACTIVE in Replicas, and answers there ({own.get('TableStatus')})"))
    extra = sorted(set(replicas) - set(settings.replica_regions))
    if extra:
        findings.append(
            Finding("backup replicas", "WARN", f"replicas in {', '.join(extra)} not in OPSBOT_BACKUP_REPLICA_REGIONS")
        )
    return findings
