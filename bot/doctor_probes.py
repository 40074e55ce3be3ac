"""Harmless probes of the AWS actions the bot makes, by IAM action name, for `opsbot doctor`: the kernel's, and
the building blocks each capability's own probes (Capability.probes, in its probes.py) are made of.

Reads ask for the smallest page. Writes name something that cannot exist (a well-formed probe id, a
reserved backup-table key, an invalid receipt handle), so AWS authorises the call and then answers
"not found" or "condition failed" without changing anything: an authorisation error means the action is
denied, any other service answer means IAM let the call through. The one exception is
cloudwatch:PutMetricAlarm, which cannot fail harmlessly: its probe creates an alarm with no actions under
the bot's own prefix (`opsbot-doctor-probe`) and deletes it at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from bot.aws import AwsClients
from bot.settings import Settings

if TYPE_CHECKING:  # a capability lists probes of this module's kind
    from bot.capability import Capability

# Ids that are well-formed for their service and name nothing: DataZone ids, an EMR cluster id, alarm names.
PROBE_ID = "opsbotdoctorprobe0"
PROBE_CLUSTER = "j-OPSBOTDOCTOR0"
PROBE_ALARM = "opsbot-doctor-probe"
ABSENT_ALARM = "opsbot-doctor-probe-absent"
# A backup-table key no run writes: backup partitions start with a DataZone domain id (dzd...).
PROBE_KEY = {"pk": {"S": "opsbot-doctor#PROBE"}, "sk": {"S": "never-written"}}
# Cluster states the bot reads (handlers/failover/cluster_info.py).
ACTIVE_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]

DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedException",
        "AuthorizationError",
        "AuthorizationErrorException",
        "NotAuthorized",
    }
)
# The credentials themselves were refused: nothing is known about the action.
REFUSED = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
    }
)
# The service could not answer: try again later.
TRANSIENT = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


@dataclass(frozen=True)
class Outcome:
    """What one probe found: PASS, WARN, FAIL or SKIP, and why."""

    status: str
    detail: str


@dataclass
class ProbeContext:
    """What probes need: settings, clients, the approver roles of the policy, an active cluster if any."""

    settings: Settings
    aws: AwsClients
    # The roles the bot assumes for people: the policy's approver and requester roles.
    approver_roles: list[str] = field(default_factory=list)
    cluster_id: str | None = None

    @property
    def domain(self) -> str:
        """The DataZone domain (probes run only when it is set)."""
        return self.settings.datazone_domain_id or ""

    @property
    def table(self) -> str:
        """The backup table (probes run only when it is set)."""
        return self.settings.backup_table or ""

    @property
    def queue(self) -> str:
        """The events queue URL (probes run only when it is set)."""
        return self.settings.events_queue_url or ""

    def client(self, service: str, region: str | None = None) -> Any:
        """The probes' client for `service`, in `region` (a replica's) or the bot's own."""
        return self.aws.client(service, region)


@dataclass(frozen=True)
class Probe:
    """A harmless call showing whether one IAM action is allowed; `needs` says when it is relevant."""

    call: Callable[[ProbeContext], Any]
    needs: Callable[[ProbeContext], str | None]
    note: str = ""


# (IAM action, probe) pairs; an action may have several probes (its own region and each replica's).
Probes = Sequence[tuple[str, Probe]]


def needs_domain(ctx: ProbeContext) -> str | None:
    return None if ctx.settings.datazone_domain_id else "OPSBOT_DATAZONE_DOMAIN_ID unset"


def needs_table(ctx: ProbeContext) -> str | None:
    return None if ctx.settings.backup_table else "OPSBOT_BACKUP_TABLE unset"


def needs_replicas(ctx: ProbeContext) -> str | None:
    if not ctx.settings.backup_table:
        return "OPSBOT_BACKUP_TABLE unset"
    return None if ctx.settings.replica_regions else "OPSBOT_BACKUP_REPLICA_REGIONS unset"


def needs_queue(ctx: ProbeContext) -> str | None:
    return None if ctx.settings.events_queue_url else "OPSBOT_EVENTS_QUEUE_URL unset"


def needs_alarm_topic(ctx: ProbeContext) -> str | None:
    return None if ctx.settings.alarm_topic_arn else "OPSBOT_ALARM_TOPIC_ARN unset (no /cluster watch)"


def needs_roles(ctx: ProbeContext) -> str | None:
    return None if ctx.approver_roles else "no subscriptions.approver_roles or requester_roles in the policy"


def always(_ctx: ProbeContext) -> str | None:
    return None


def datazone_call(method: str, **params: Any) -> Callable[[ProbeContext], Any]:
    """A DataZone call in the configured domain; `PROBE_ID` stands for every id that must not exist."""

    def call(ctx: ProbeContext) -> Any:
        return getattr(ctx.client("datazone"), method)(domainIdentifier=ctx.domain, **params)

    return call


def table_call(method: str, **params: Any) -> Callable[[ProbeContext], Any]:
    def call(ctx: ProbeContext) -> Any:
        return getattr(ctx.client("dynamodb"), method)(TableName=ctx.table, **params)

    return call


def replica_call(method: str, **params: Any) -> Callable[[ProbeContext], Any]:
    """The call in every replica region: restores and status read each replica with its own client."""

    def call(ctx: ProbeContext) -> Any:
        for region in ctx.settings.replica_regions:
            getattr(ctx.client("dynamodb", region), method)(TableName=ctx.table, **params)

    return call


def queue_call(method: str, **params: Any) -> Callable[[ProbeContext], Any]:
    def call(ctx: ProbeContext) -> Any:
        return getattr(ctx.client("sqs"), method)(QueueUrl=ctx.queue, **params)

    return call


# The kernel's own actions (the events queue); each capability lists its own (Capability.probes).
KERNEL_PROBES: Probes = [
    (
        "sqs:ReceiveMessage",
        Probe(
            queue_call("receive_message", MaxNumberOfMessages=11),
            needs_queue,
            note="asks for 11 messages, which SQS refuses after authorising; receiving one would hide it",
        ),
    ),
    (
        "sqs:ChangeMessageVisibility",
        Probe(queue_call("change_message_visibility", ReceiptHandle=PROBE_ID, VisibilityTimeout=0), needs_queue),
    ),
    ("sqs:DeleteMessage", Probe(queue_call("delete_message", ReceiptHandle=PROBE_ID), needs_queue)),
]


def error_code(exc: botocore.exceptions.ClientError) -> str:
    """The AWS error code of a failed call, as readable as the answer allows."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    if code.isdigit():
        # An error body botocore could not read for this protocol: the XML may still name the code.
        found = re.search(r"<Code>(\w+)</Code>", str(error.get("Message", "")))
        return found.group(1) if found else f"HTTP {code}"
    return code


def http_status(exc: botocore.exceptions.ClientError) -> int:
    """The HTTP status of a failed call's answer (0 when it carries none)."""
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def is_denied(exc: botocore.exceptions.ClientError) -> bool:
    """IAM (or the service's own authorisation) refused the call."""
    status = http_status(exc)
    code = error_code(exc)
    return code in DENIED or (status == 403 and code not in REFUSED)


def classify(probe: Probe, ctx: ProbeContext) -> Outcome:
    """Run one probe and say what its answer shows about the permission."""
    try:
        result = probe.call(ctx)
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        status = http_status(exc)
        if code in REFUSED:
            return Outcome("FAIL", f"credentials refused ({code})")
        if is_denied(exc):
            return Outcome("FAIL", f"denied ({code})")
        if code in TRANSIENT or status >= 500:
            return Outcome("WARN", f"inconclusive: the service answered {code}")
        # Anything else is the service's own answer to an authorised call: not found, condition failed, ...
        return Outcome("PASS", f"allowed ({code} on the probe)")
    except botocore.exceptions.BotoCoreError as exc:
        return Outcome("FAIL", f"no answer: {exc}")
    if isinstance(result, Outcome):
        return result
    return Outcome("PASS", "allowed" + (f" ({probe.note})" if probe.note else ""))


def run_probes(ctx: ProbeContext, probes: Probes, workers: int = 10) -> dict[str, Outcome]:
    """Every relevant probe, concurrently; irrelevant ones are skipped with the first probe's reason."""
    # Ten workers: as many as one botocore client keeps connections open to.
    outcomes: dict[str, Outcome] = {}
    jobs: dict[str, list[Probe]] = {}
    for action, probe in probes:
        reason = probe.needs(ctx)
        if reason is None:
            jobs.setdefault(action, []).append(probe)
        elif action not in outcomes:
            outcomes[action] = Outcome("SKIP", f"skipped: {reason}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {action: [pool.submit(classify, p, ctx) for p in found] for action, found in jobs.items()}
        for action, pending in futures.items():
            results = [f.result() for f in pending]
            # An action passes only if it passes everywhere it is probed (own region and replicas).
            worst = next((o for s in ("FAIL", "WARN") for o in results if o.status == s), results[0])
            outcomes[action] = worst
    return dict(sorted(outcomes.items()))


def probe_context(settings: Settings, aws: AwsClients, approver_roles: list[str]) -> ProbeContext:
    """The context, with an active cluster to read if EMR lists one (ListInstances needs a cluster)."""
    ctx = ProbeContext(settings, aws, approver_roles)
    try:
        clusters = aws.client("emr").list_clusters(ClusterStates=ACTIVE_STATES).get("Clusters") or []
        ctx.cluster_id = clusters[0]["Id"] if clusters else None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        ctx.cluster_id = None
    return ctx


def permission_probes(capabilities: Sequence[Capability]) -> list[tuple[str, Probe]]:
    """The kernel's probes and every capability's, in that order."""
    return [*KERNEL_PROBES, *(pair for capability in capabilities for pair in capability.probes)]
