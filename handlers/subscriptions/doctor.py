"""`opsbot doctor`'s check of the DataZone domain."""

from __future__ import annotations

import botocore.exceptions

from bot.aws import AwsClients
from bot.doctor_probes import error_code
from bot.doctor_resources import MISSING, Finding, failed
from bot.settings import Settings


def check_domain(settings: Settings, aws: AwsClients) -> list[Finding]:
    """The DataZone domain answers, read through a call the bot makes anyway."""
    domain = settings.datazone_domain_id
    if domain is None:
        return [Finding("DataZone domain", "SKIP", "skipped: OPSBOT_DATAZONE_DOMAIN_ID unset")]
    try:
        page = aws.client("datazone").list_subscription_requests(
            domainIdentifier=domain, status="PENDING", maxResults=1
        )
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in MISSING:
            return [Finding("DataZone domain", "FAIL", f"no domain {domain} in {settings.aws_region}")]
        return [failed("DataZone domain", exc)]
    except botocore.exceptions.BotoCoreError as exc:
        return [failed("DataZone domain", exc)]
    pending = "pending requests waiting" if page.get("items") else "no pending requests"
    return [Finding("DataZone domain", "PASS", f"{domain} answers ({pending})")]
