"""Harmless probes of every AWS action the bot makes, keyed by IAM action name, for `opsbot doctor`.

Reads ask for the smallest page. Writes name something that cannot exist (a well-formed probe id, a
reserved backup-table key, an invalid receipt handle), so AWS authorises the call and then answers
"not found" or "condition failed" without changing anything: an authorisation error means the action is
denied, any other service answer means IAM let the call through. The one exception is
cloudwatch:PutMetricAlarm, which cannot fail harmlessly: its probe creates an alarm with no actions under
the bot's own prefix (`opsbot-doctor-probe`) and deletes it at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.exceptions

from bot.aws import AwsClients
from bot.settings import Settings

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


def _domain(ctx: ProbeContext) -> str | None:
    return None if ctx.settings.datazone_domain_id else "OPSBOT_DATAZONE_DOMAIN_ID unset"


def _table(ctx: ProbeContext) -> str | None:
    return None if ctx.settings.backup_table else "OPSBOT_BACKUP_TABLE unset"


def _replicas(ctx: ProbeContext) -> str | None:
    if not ctx.settings.backup_table:
        return "OPSBOT_BACKUP_TABLE unset"
    return None if ctx.settings.replica_regions else "OPSBOT_BACKUP_REPLICA_REGIONS unset"


def _queue(ctx: ProbeContext) -> str | None:
    return None if ctx.settings.events_queue_url else "OPSBOT_EVENTS_QUEUE_URL unset"


def _alarm_topic(ctx: ProbeContext) -> str | None:
    return None if ctx.settings.alarm_topic_arn else "OPSBOT_ALARM_TOPIC_ARN unset (no /cluster watch)"


def _roles(ctx: ProbeContext) -> str | None:
    return None if ctx.approver_roles else "no subscriptions.approver_roles in the policy"


def _always(_ctx: ProbeContext) -> str | None:
    return None


def _dz(method: str, **params: Any) -> Callable[[ProbeContext], Any]:
    """A DataZone call in the configured domain; `PROBE_ID` stands for every id that must not exist."""

    def call(ctx: ProbeContext) -> Any:
        return getattr(ctx.client("datazone"), method)(domainIdentifier=ctx.domain, **params)

    return call


def _ddb(method: str, **params: Any) -> Callable[[ProbeContext], Any]:
    def call(ctx: ProbeContext) -> Any:
        return getattr(ctx.client("dynamodb"), method)(TableName=ctx.table, **params)

    return call


def _replica_reads(method: str, **params: Any) -> Callable[[ProbeContext], Any]:
    """The call in every replica region: restores and status read each replica with its own client."""

    def call(ctx: ProbeContext) -> Any:
        for region in ctx.settings.replica_regions:
            getattr(ctx.client("dynamodb", region), method)(TableName=ctx.table, **params)

    return call


def _sqs(method: str, **params: Any) -> Callable[[ProbeContext], Any]:
    def call(ctx: ProbeContext) -> Any:
        return getattr(ctx.client("sqs"), method)(QueueUrl=ctx.queue, **params)

    return call


def _batch_write(ctx: ProbeContext) -> Any:
    # BatchWriteItem takes no conditions; deleting the reserved key, which nothing ever writes, changes nothing.
    return ctx.client("dynamodb").batch_write_item(RequestItems={ctx.table: [{"DeleteRequest": {"Key": PROBE_KEY}}]})


def _metric_data(ctx: ProbeContext) -> Any:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    return ctx.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "probe",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ElasticMapReduce",
                        "MetricName": "MultiMasterInstanceGroupNodesRunning",
                        "Dimensions": [{"Name": "JobFlowId", "Value": PROBE_CLUSTER}],
                    },
                    "Period": 300,
                    "Stat": "Minimum",
                },
            }
        ],
        StartTime=end - timedelta(minutes=5),
        EndTime=end,
        MaxDatapoints=1,
    )


def _put_metric_alarm(ctx: ProbeContext) -> Any:
    # No invalid alarm is refused only after authorisation everywhere, so create one that can do nothing
    # (no actions, actions disabled) under the bot's prefix, and delete it straight away.
    cloudwatch = ctx.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=PROBE_ALARM,
        AlarmDescription="opsbot doctor permission probe; deleted at once",
        ActionsEnabled=False,
        Namespace="AWS/ElasticMapReduce",
        MetricName="MultiMasterInstanceGroupNodesRunning",
        Dimensions=[{"Name": "JobFlowId", "Value": PROBE_CLUSTER}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )
    try:
        cloudwatch.delete_alarms(AlarmNames=[PROBE_ALARM])
    except botocore.exceptions.ClientError as exc:
        return Outcome("FAIL", f"allowed, but the probe alarm {PROBE_ALARM} could not be deleted ({error_code(exc)})")
    return None


def _list_instances(ctx: ProbeContext) -> Any:
    # An active cluster is read for real (one page); without one, EMR answers InvalidRequestException.
    return ctx.client("emr").list_instances(ClusterId=ctx.cluster_id or PROBE_CLUSTER, InstanceStates=["RUNNING"])


def _assume_role(ctx: ProbeContext) -> Any:
    # Fifteen-minute credentials for each approver role, used for nothing: proves both the bot's permission
    # and each role's trust policy.
    sts = ctx.client("sts")
    for role in ctx.approver_roles:
        sts.assume_role(RoleArn=role, RoleSessionName="opsbot-doctor", DurationSeconds=900)


_TERM = {"name": PROBE_ID, "glossaryIdentifier": PROBE_ID}

# IAM action -> probe. Every AWS operation in bot/, handlers/ and scheduler/ has one; a test keeps it so.
PERMISSION_PROBES: dict[str, Probe] = {
    # Subscriptions
    "datazone:AcceptSubscriptionRequest": Probe(_dz("accept_subscription_request", identifier=PROBE_ID), _domain),
    "datazone:RejectSubscriptionRequest": Probe(_dz("reject_subscription_request", identifier=PROBE_ID), _domain),
    "datazone:GetSubscriptionRequestDetails": Probe(
        _dz("get_subscription_request_details", identifier=PROBE_ID), _domain
    ),
    "datazone:ListSubscriptionRequests": Probe(
        _dz("list_subscription_requests", status="PENDING", maxResults=1), _domain
    ),
    "datazone:GetUserProfile": Probe(_dz("get_user_profile", userIdentifier=PROBE_ID), _domain),
    "datazone:GetSubscription": Probe(_dz("get_subscription", identifier=PROBE_ID), _domain),
    "datazone:ListSubscriptions": Probe(_dz("list_subscriptions", maxResults=1), _domain),
    "datazone:ListSubscriptionGrants": Probe(_dz("list_subscription_grants", maxResults=1), _domain),
    "datazone:RevokeSubscription": Probe(_dz("revoke_subscription", identifier=PROBE_ID), _domain),
    "datazone:SearchListings": Probe(_dz("search_listings", maxResults=1), _domain),
    # Publishing
    "datazone:GetAsset": Probe(_dz("get_asset", identifier=PROBE_ID), _domain),
    "datazone:GetAssetType": Probe(_dz("get_asset_type", identifier=PROBE_ID), _domain),
    "datazone:GetProject": Probe(_dz("get_project", identifier=PROBE_ID), _domain),
    "datazone:GetGlossary": Probe(_dz("get_glossary", identifier=PROBE_ID), _domain),
    "datazone:GetGlossaryTerm": Probe(_dz("get_glossary_term", identifier=PROBE_ID), _domain),
    "datazone:Search": Probe(_dz("search", searchScope="ASSET", maxResults=1), _domain),
    "datazone:CreateListingChangeSet": Probe(
        _dz("create_listing_change_set", entityIdentifier=PROBE_ID, entityType="ASSET", action="PUBLISH"), _domain
    ),
    "datazone:ListProjectMemberships": Probe(
        _dz("list_project_memberships", projectIdentifier=PROBE_ID, maxResults=1), _domain
    ),
    "datazone:ListEnvironmentBlueprints": Probe(_dz("list_environment_blueprints", maxResults=1), _domain),
    "datazone:GetEnvironmentBlueprintConfiguration": Probe(
        _dz("get_environment_blueprint_configuration", environmentBlueprintIdentifier=PROBE_ID), _domain
    ),
    "datazone:PutEnvironmentBlueprintConfiguration": Probe(
        _dz("put_environment_blueprint_configuration", environmentBlueprintIdentifier=PROBE_ID, enabledRegions=[]),
        _domain,
    ),
    "datazone:ListEnvironments": Probe(_dz("list_environments", projectIdentifier=PROBE_ID, maxResults=1), _domain),
    "datazone:CreateEnvironment": Probe(
        _dz(
            "create_environment",
            projectIdentifier=PROBE_ID,
            name=PROBE_ID,
            environmentProfileIdentifier=PROBE_ID,
        ),
        _domain,
    ),
    "datazone:ListDataSources": Probe(_dz("list_data_sources", projectIdentifier=PROBE_ID, maxResults=1), _domain),
    "datazone:GetDataSource": Probe(_dz("get_data_source", identifier=PROBE_ID), _domain),
    "datazone:CreateDataSource": Probe(
        _dz(
            "create_data_source",
            projectIdentifier=PROBE_ID,
            environmentIdentifier=PROBE_ID,
            name=PROBE_ID,
            type="GLUE",
        ),
        _domain,
    ),
    "datazone:UpdateDataSource": Probe(_dz("update_data_source", identifier=PROBE_ID), _domain),
    "datazone:StartDataSourceRun": Probe(_dz("start_data_source_run", dataSourceIdentifier=PROBE_ID), _domain),
    "datazone:GetDataSourceRun": Probe(_dz("get_data_source_run", identifier=PROBE_ID), _domain),
    "datazone:ListDataSourceRunActivities": Probe(
        _dz("list_data_source_run_activities", identifier=PROBE_ID, maxResults=1), _domain
    ),
    # Catalog backups: reading a domain and restoring into one
    "datazone:ListProjects": Probe(_dz("list_projects", maxResults=1), _domain),
    "datazone:SearchTypes": Probe(_dz("search_types", searchScope="ASSET_TYPE", managed=False, maxResults=1), _domain),
    "datazone:CreateProject": Probe(
        _dz("create_project", name=PROBE_ID, glossaryTerms=[PROBE_ID]),
        _domain,
        note="refused because its glossary term does not exist",
    ),
    "datazone:CreateFormType": Probe(
        _dz(
            "create_form_type",
            name=PROBE_ID,
            owningProjectIdentifier=PROBE_ID,
            model={"smithy": f"structure {PROBE_ID} {{}}"},
        ),
        _domain,
    ),
    "datazone:CreateAssetType": Probe(
        _dz("create_asset_type", name=PROBE_ID, owningProjectIdentifier=PROBE_ID, formsInput={}), _domain
    ),
    "datazone:CreateGlossary": Probe(_dz("create_glossary", name=PROBE_ID, owningProjectIdentifier=PROBE_ID), _domain),
    "datazone:UpdateGlossary": Probe(_dz("update_glossary", identifier=PROBE_ID, name=PROBE_ID), _domain),
    "datazone:CreateGlossaryTerm": Probe(_dz("create_glossary_term", **_TERM), _domain),
    "datazone:UpdateGlossaryTerm": Probe(_dz("update_glossary_term", identifier=PROBE_ID, name=PROBE_ID), _domain),
    "datazone:CreateAsset": Probe(
        _dz("create_asset", name=PROBE_ID, typeIdentifier=PROBE_ID, owningProjectIdentifier=PROBE_ID), _domain
    ),
    "datazone:CreateAssetRevision": Probe(_dz("create_asset_revision", identifier=PROBE_ID, name=PROBE_ID), _domain),
    # The backup table, in its own region and in each replica region
    "dynamodb:DescribeTable": Probe(_ddb("describe_table"), _table),
    "dynamodb:GetItem": Probe(_ddb("get_item", Key=PROBE_KEY), _table),
    "dynamodb:Query": Probe(
        _ddb(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": PROBE_KEY["pk"]},
            Limit=1,
        ),
        _table,
    ),
    "dynamodb:PutItem": Probe(
        _ddb("put_item", Item=PROBE_KEY, ConditionExpression="attribute_exists(pk)"),
        _table,
        note="refused by a condition that cannot hold",
    ),
    "dynamodb:BatchWriteItem": Probe(_batch_write, _table, note="deletes a key that is never written"),
    # The events queue
    "sqs:ReceiveMessage": Probe(
        _sqs("receive_message", MaxNumberOfMessages=11),
        _queue,
        note="asks for 11 messages, which SQS refuses after authorising; receiving one would hide it",
    ),
    "sqs:ChangeMessageVisibility": Probe(
        _sqs("change_message_visibility", ReceiptHandle=PROBE_ID, VisibilityTimeout=0), _queue
    ),
    "sqs:DeleteMessage": Probe(_sqs("delete_message", ReceiptHandle=PROBE_ID), _queue),
    # Cluster failover: EMR and CloudWatch
    "elasticmapreduce:ListClusters": Probe(
        lambda ctx: ctx.client("emr").list_clusters(ClusterStates=ACTIVE_STATES), _always
    ),
    "elasticmapreduce:DescribeCluster": Probe(
        lambda ctx: ctx.client("emr").describe_cluster(ClusterId=PROBE_CLUSTER), _always
    ),
    "elasticmapreduce:ListInstances": Probe(_list_instances, _always),
    "cloudwatch:GetMetricData": Probe(_metric_data, _always),
    "cloudwatch:DescribeAlarms": Probe(
        lambda ctx: ctx.client("cloudwatch").describe_alarms(AlarmNamePrefix="opsbot-", MaxRecords=1), _always
    ),
    "cloudwatch:DescribeAlarmsForMetric": Probe(
        lambda ctx: ctx.client("cloudwatch").describe_alarms_for_metric(
            Namespace="AWS/ElasticMapReduce",
            MetricName="MultiMasterInstanceGroupNodesRunning",
            Dimensions=[{"Name": "JobFlowId", "Value": PROBE_CLUSTER}],
        ),
        _always,
    ),
    "cloudwatch:PutMetricAlarm": Probe(
        _put_metric_alarm, _alarm_topic, note=f"created and deleted the action-less alarm {PROBE_ALARM}"
    ),
    "cloudwatch:DeleteAlarms": Probe(
        lambda ctx: ctx.client("cloudwatch").delete_alarms(AlarmNames=[ABSENT_ALARM]), _always
    ),
    # Deciding subscription requests as the approver's own role
    "sts:AssumeRole": Probe(_assume_role, _roles, note="assumed each approver role for 15 minutes"),
}

# Reads of the replicas (status, restore from a replica) are the same IAM actions on other regions' tables.
REPLICA_PROBES: dict[str, Probe] = {
    "dynamodb:DescribeTable": Probe(_replica_reads("describe_table"), _replicas),
    "dynamodb:GetItem": Probe(_replica_reads("get_item", Key=PROBE_KEY), _replicas),
}


def error_code(exc: botocore.exceptions.ClientError) -> str:
    """The AWS error code of a failed call, as readable as the answer allows."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    if code.isdigit():
        # An error body botocore could not read for this protocol: the XML may still name the code.
        found = re.search(r"<Code>(\w+)</Code>", str(error.get("Message", "")))
        return found.group(1) if found else f"HTTP {code}"
    return code


def is_denied(exc: botocore.exceptions.ClientError) -> bool:
    """IAM (or the service's own authorisation) refused the call."""
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error_code(exc)
    return code in DENIED or (status == 403 and code not in REFUSED)


def classify(probe: Probe, ctx: ProbeContext) -> Outcome:
    """Run one probe and say what its answer shows about the permission."""
    try:
        result = probe.call(ctx)
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
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


def run_probes(ctx: ProbeContext, workers: int = 10) -> dict[str, Outcome]:
    """Every relevant probe, concurrently; irrelevant ones are skipped with the reason."""
    # Ten workers: as many as one botocore client keeps connections open to.
    outcomes: dict[str, Outcome] = {}
    jobs: dict[str, list[Probe]] = {}
    for table in (PERMISSION_PROBES, REPLICA_PROBES):
        for action, probe in table.items():
            reason = probe.needs(ctx)
            if reason is None:
                jobs.setdefault(action, []).append(probe)
            elif action not in outcomes and table is PERMISSION_PROBES:
                outcomes[action] = Outcome("SKIP", f"skipped: {reason}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {action: [pool.submit(classify, p, ctx) for p in probes] for action, probes in jobs.items()}
        for action, pending in futures.items():
            found = [f.result() for f in pending]
            # An action passes only if it passes everywhere it is probed (own region and replicas).
            worst = next((o for s in ("FAIL", "WARN") for o in found if o.status == s), found[0])
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
