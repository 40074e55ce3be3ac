"""The seeded sample world: a data mesh domain, its catalog, pending requests, and the AWS plumbing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.aws.datazone.catalog import CatalogHandlers
from sandbox.aws.datazone.state import State

DOMAIN_ID = "dzd_sandbox"
REGION = "eu-west-1"
# The backup table's replica region, where a restore can read from when the primary region is down.
REPLICA_REGION = "eu-central-1"
# An empty second domain to restore the catalog into.
RECOVERY_DOMAIN_ID = "dzd_recovery"
ACCOUNT = "123456789012"
EVENTS_QUEUE = "opsbot-events"
EVENTS_DLQ = "opsbot-events-dlq"
ALARM_TOPIC = "opsbot-alarms"
BACKUP_TABLE = "opsbot-catalog-backup"
# The S3 bucket holding the sample protein database (LanceDB tables under its `proteins/` prefix).
PROTEIN_BUCKET = "opsbot-proteins"
CLUSTER_ID = "j-SANDBOX0001"
CLUSTER_NAME = "sales-analytics-ha"
MULTIMASTER_METRICS = (
    "MultiMasterInstanceGroupNodesRunning",
    "MultiMasterInstanceGroupNodesRunningPercentage",
    "MultiMasterInstanceGroupNodesRequested",
)

BUSINESS_METADATA = """structure BusinessMetadata {
  classification: String
  owner: String
  refresh_frequency: String
  data_quality_score: Double
}"""

# DataZone users of the sandbox, and the access keys that sign as them.
MARIA_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/MarketingAnalyst/maria"
ALICE_SSO = "alice@example.com"
APPROVER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/SalesDataOwner"
ACCESS_KEYS = {"maria": "AKIASANDBOXMARIA", "alice": "AKIASANDBOXALICE"}
# How CloudTrail names each of them (userIdentity): Maria works through her analyst role's session; the
# sandbox signs Alice's portal work with an IAM user of hers.
ACCESS_IDENTITIES = {
    ACCESS_KEYS["maria"]: {
        "type": "AssumedRole",
        "principalId": "AROASANDBOXMARKETING:maria",
        "arn": MARIA_ARN,
        "accountId": ACCOUNT,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROASANDBOXMARKETING",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/MarketingAnalyst",
                "accountId": ACCOUNT,
                "userName": "MarketingAnalyst",
            }
        },
    },
    ACCESS_KEYS["alice"]: {
        "type": "IAMUser",
        "principalId": "AIDASANDBOXALICE",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "accountId": ACCOUNT,
        "userName": "alice",
    },
}

# name, classification, owner, refresh frequency, quality score, description
ASSETS = (
    ("mkt_sls_table", "internal", "sales-data-team", "daily", 0.97, "Marketing sales by store and day"),
    ("customer_pii", "confidential", "crm-team", "hourly", 0.88, "Customer contact details"),
    ("store_locations", "public", "facilities", "weekly", 0.99, "Store addresses and opening hours"),
)

# Asset filters, by asset: a row filter and a column filter, so approvers can grant less than the whole asset.
FILTERS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "customer_pii": (
        (
            "eu_customers",
            {"rowConfiguration": {"rowFilter": {"expression": {"equalTo": {"columnName": "region", "value": "EU"}}}}},
        ),
        ("contact_columns", {"columnConfiguration": {"includedColumnNames": ["customer_id", "email", "region"]}}),
    ),
}


@dataclass
class World:
    """Ids of what was seeded, for the console, the demo and the tests."""

    domain_id: str = DOMAIN_ID
    producer_project: str = ""
    consumer_project: str = ""
    assets: dict[str, str] = field(default_factory=dict)
    listings: dict[str, str] = field(default_factory=dict)
    pending_requests: dict[str, str] = field(default_factory=dict)
    glossary_terms: dict[str, str] = field(default_factory=dict)
    # Asset filters of customer_pii by name: an approver may grant only these instead of the whole asset.
    filters: dict[str, str] = field(default_factory=dict)
    queue_url: str = ""
    dlq_url: str = ""
    topic_arn: str = ""


# What data source runs can import: a Glue database and a Redshift schema (one table that fails to import).
GLUE_INVENTORY = {
    ("glue", "sales", ""): [
        {"name": "orders_raw", "description": "Raw orders from the web shop"},
        {"name": "orders_daily", "description": "Orders aggregated per store and day"},
        {"name": "tmp_scratch", "description": "Scratch table"},
    ]
}
REDSHIFT_INVENTORY = {
    ("redshift", "sales-dw", "dev", "public"): [
        {"name": "sales_fact", "description": "Sales fact table"},
        {"name": "store_dim", "description": "Store dimension"},
        {"name": "v_weekly_sales", "description": "Weekly sales view"},
        {"name": "legacy_import", "error": "Table legacy_import has an unsupported column type: SUPER"},
    ],
    # Two more databases of the same cluster, for the reference's three-database registration payload.
    ("redshift", "sales-dw", "finance", "public"): [
        {"name": "invoices", "description": "Invoices per customer"},
        {"name": "v_revenue", "description": "Revenue per month view"},
    ],
    ("redshift", "sales-dw", "logistics", "reporting"): [
        {"name": "shipments", "description": "Shipments per warehouse"},
        {"name": "v_late_shipments", "description": "Late shipments view"},
    ],
}
# The Secrets Manager secret holding the Redshift credentials DataZone uses (tagged for the domain).
REDSHIFT_SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:datazone-sales-dw-AbCdEf"


def event_rules(domain_id: str = DOMAIN_ID) -> list[dict[str, Any]]:
    """The sandbox's EventBridge rules to the events queue: the domain's DataZone events and API calls, EMR's."""
    # deploy/opsbot.yaml's rules also list the detail-types the handlers route; the sandbox delivers every one of
    # the domain's, and the bot ignores (and logs) those it does not route.
    return [
        {"source": ["aws.datazone"], "detail": {"metadata": {"domain": [domain_id]}}},
        {
            "source": ["aws.datazone"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {
                "eventSource": ["datazone.amazonaws.com"],
                "requestParameters": {"domainIdentifier": [domain_id]},
            },
        },
        {"source": ["aws.emr"]},
    ]


def seed_datazone(state: State, world: World) -> None:
    """The domain, producer and consumer projects, forms, glossary, published assets, two pending requests."""
    state.inventory.update(GLUE_INVENTORY)
    state.inventory.update(REDSHIFT_INVENTORY)
    from sandbox.aws.datazone import DataZoneHandlers

    dz = DataZoneHandlers(state)
    domain = state.add_domain("Data mesh sandbox", DOMAIN_ID)
    state.add_domain("Recovery (empty)", RECOVERY_DOMAIN_ID)
    producer = dz.create_project(
        domainIdentifier=domain.id, name="Sales producer", description="Owns the sales data products"
    )
    consumer = dz.create_project(
        domainIdentifier=domain.id, name="Marketing analytics", description="Consumes sales data for campaigns"
    )
    world.producer_project, world.consumer_project = producer["id"], consumer["id"]
    domain.users["usr_analyst"] = {
        "domainId": domain.id,
        "id": "usr_analyst",
        "type": "IAM",
        "status": "ACTIVATED",
        "details": {"iam": {"arn": MARIA_ARN, "principalId": "AROASANDBOX:maria", "sessionName": "maria"}},
    }
    domain.users["usr_alice"] = {
        "domainId": domain.id,
        "id": "usr_alice",
        "type": "SSO",
        "status": "ACTIVATED",
        "details": {"sso": {"username": ALICE_SSO, "firstName": "Alice", "lastName": "Owner"}},
    }
    state.principals.update({ACCESS_KEYS["maria"]: "usr_analyst", ACCESS_KEYS["alice"]: "usr_alice"})
    # Alice owns the producer project in DataZone too: publishing follows DataZone's owners and contributors.
    dz.create_project_membership(
        domainIdentifier=domain.id,
        projectIdentifier=producer["id"],
        member={"userIdentifier": "usr_alice"},
        designation="PROJECT_OWNER",
    )
    # Maria works in Marketing analytics, the consumer project she asks for data for (in the portal, `/catalog`
    # or Slack's buttons); `/subscriptions mine` lists its requests and subscriptions for her.
    dz.create_project_membership(
        domainIdentifier=domain.id,
        projectIdentifier=consumer["id"],
        member={"userIdentifier": "usr_analyst"},
        designation="PROJECT_CONTRIBUTOR",
    )
    dz.create_form_type(
        domainIdentifier=domain.id,
        name="BusinessMetadata",
        owningProjectIdentifier=producer["id"],
        model={"smithy": BUSINESS_METADATA},
    )
    dz.create_asset_type(
        domainIdentifier=domain.id,
        name="GlueTable",
        owningProjectIdentifier=producer["id"],
        formsInput={"BusinessMetadata": {"typeIdentifier": "BusinessMetadata", "typeRevision": "1", "required": True}},
    )
    glossary = dz.create_glossary(
        domainIdentifier=domain.id,
        name="Sales",
        owningProjectIdentifier=producer["id"],
        description="Business terms of the sales domain",
    )
    revenue = dz.create_glossary_term(
        domainIdentifier=domain.id,
        glossaryIdentifier=glossary["id"],
        name="Revenue",
        shortDescription="Money received from sales",
    )
    customer = dz.create_glossary_term(
        domainIdentifier=domain.id,
        glossaryIdentifier=glossary["id"],
        name="Customer",
        shortDescription="A person or company that buys",
    )
    world.glossary_terms = {"Revenue": revenue["id"], "Customer": customer["id"]}
    publish_delay, CatalogHandlers.publish_seconds = CatalogHandlers.publish_seconds, 0.0
    try:
        for name, classification, owner, refresh, quality, description in ASSETS:
            content = {
                "classification": classification,
                "owner": owner,
                "refresh_frequency": refresh,
                "data_quality_score": quality,
            }
            terms = [customer["id"]] if "customer" in name else [revenue["id"]]
            asset = dz.create_asset(
                domainIdentifier=domain.id,
                name=name,
                typeIdentifier="GlueTable",
                owningProjectIdentifier=producer["id"],
                description=description,
                externalIdentifier=f"arn:aws:glue:{REGION}:{ACCOUNT}:table/sales/{name}",
                glossaryTerms=terms,
                formsInput=[{"formName": "BusinessMetadata", "content": json.dumps(content)}],
            )
            world.assets[name] = asset["id"]
            for filter_name, configuration in FILTERS.get(name, ()):
                made = dz.create_asset_filter(
                    domainIdentifier=domain.id,
                    assetIdentifier=asset["id"],
                    name=filter_name,
                    configuration=configuration,
                )
                world.filters[filter_name] = made["id"]
            change = dz.create_listing_change_set(
                domainIdentifier=domain.id, entityIdentifier=asset["id"], entityType="ASSET", action="PUBLISH"
            )
            dz.get_listing(domainIdentifier=domain.id, identifier=change["listingId"])
            world.listings[name] = change["listingId"]
    finally:
        CatalogHandlers.publish_seconds = publish_delay
    state.caller = "usr_analyst"  # Maria asks for both
    for name, reason in (
        ("mkt_sls_table", "Campaign attribution for Q4"),
        ("customer_pii", "Email campaign targeting"),
    ):
        request = dz.create_subscription_request(
            domainIdentifier=domain.id,
            requestReason=reason,
            subscribedPrincipals=[{"project": {"identifier": consumer["id"]}}],
            subscribedListings=[{"identifier": world.listings[name]}],
        )
        world.pending_requests[name] = request["id"]
    state.caller = state.default_caller


def seed_aws(clients: Any, world: World) -> None:
    """Queue and DLQ, the alarm topic delivering to the queue, the backup table, and MultiMaster alarms."""
    sqs, sns, cloudwatch = (clients(name) for name in ("sqs", "sns", "cloudwatch"))
    world.dlq_url = sqs.create_queue(QueueName=EVENTS_DLQ)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=world.dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    world.queue_url = sqs.create_queue(
        QueueName=EVENTS_QUEUE,
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
            "VisibilityTimeout": "60",
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=world.queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    world.topic_arn = sns.create_topic(Name=ALARM_TOPIC, Attributes={"SignatureVersion": "2"})["TopicArn"]
    sns.subscribe(TopicArn=world.topic_arn, Protocol="sqs", Endpoint=queue_arn)
    seed_backup_table(clients)
    for metric, threshold, operator in (
        (MULTIMASTER_METRICS[0], 3, "LessThanThreshold"),
        (MULTIMASTER_METRICS[1], 100, "LessThanThreshold"),
    ):
        cloudwatch.put_metric_alarm(
            AlarmName=f"opsbot-{CLUSTER_ID}-{metric}",
            Namespace="AWS/ElasticMapReduce",
            MetricName=metric,
            Dimensions=[{"Name": "JobFlowId", "Value": CLUSTER_ID}],
            Statistic="Minimum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=threshold,
            ComparisonOperator=operator,
            TreatMissingData="breaching",
            AlarmActions=[world.topic_arn],
            OKActions=[world.topic_arn],
        )
    put_multimaster(cloudwatch, CLUSTER_ID, running=3, hours=3)


def put_multimaster(cloudwatch: Any, cluster_id: str, *, running: int, hours: float = 0, requested: int = 3) -> None:
    """MultiMaster datapoints as EMR emits them every five minutes: `running` of `requested` primaries."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    stamps = [now - timedelta(minutes=5 * n) for n in range(int(hours * 12), -1, -1)]
    dimensions = [{"Name": "JobFlowId", "Value": cluster_id}]
    values = (running, 100.0 * running / requested, requested)
    for start in range(0, len(stamps), 30):
        cloudwatch.put_metric_data(
            Namespace="AWS/ElasticMapReduce",
            MetricData=[
                {"MetricName": metric, "Dimensions": dimensions, "Timestamp": stamp, "Value": float(value)}
                for stamp in stamps[start : start + 30]
                for metric, value in zip(MULTIMASTER_METRICS, values, strict=True)
            ],
        )


def seed_backup_table(clients: Any) -> None:
    """The backup table as the reference deploys it: a global table, KMS-encrypted with a multi-Region key, PITR on."""
    kms = clients("kms")
    key = kms.create_key(Description="opsbot catalog backups", MultiRegion=True)["KeyMetadata"]
    replica_key = kms.replicate_key(KeyId=key["KeyId"], ReplicaRegion=REPLICA_REGION)["ReplicaKeyMetadata"]
    dynamodb = clients("dynamodb")
    dynamodb.create_table(
        TableName=BACKUP_TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]},
    )
    dynamodb.update_table(
        TableName=BACKUP_TABLE,
        ReplicaUpdates=[{"Create": {"RegionName": REPLICA_REGION, "KMSMasterKeyId": replica_key["Arn"]}}],
    )
    # The deployed table keeps 35 days of point-in-time recovery, so a bad run can be undone.
    dynamodb.update_continuous_backups(
        TableName=BACKUP_TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
