"""`opsbot doctor`'s check of EMR and CloudWatch."""

from __future__ import annotations

import botocore.exceptions

from bot.aws import AwsClients
from bot.doctor_probes import ACTIVE_STATES
from bot.doctor_resources import Finding, failed
from bot.settings import Settings


def check_emr_cloudwatch(_settings: Settings, aws: AwsClients) -> list[Finding]:
    """EMR and CloudWatch answer: active clusters, the bot's alarms."""
    findings = []
    try:
        clusters = aws.client("emr").list_clusters(ClusterStates=ACTIVE_STATES).get("Clusters") or []
        findings.append(Finding("EMR", "PASS", f"reachable, {len(clusters)} active clusters on the first page"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        findings.append(failed("EMR", exc))
    try:
        alarms = aws.client("cloudwatch").describe_alarms(AlarmNamePrefix="opsbot-", MaxRecords=100)
        count = len(alarms.get("MetricAlarms") or [])
        findings.append(Finding("CloudWatch", "PASS", f"reachable, {count} opsbot- alarms on the first page"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        findings.append(failed("CloudWatch", exc))
    return findings
