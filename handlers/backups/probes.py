"""`opsbot doctor`'s probes of the AWS actions of catalog backups: a domain read, restored, the backup table.

bot/doctor_probes.py says how each stays harmless.
"""

from __future__ import annotations

from typing import Any

from bot.doctor_probes import (
    PROBE_ID,
    PROBE_KEY,
    Probe,
    ProbeContext,
    Probes,
    datazone_call,
    needs_domain,
    needs_replicas,
    needs_table,
    replica_call,
    table_call,
)


def _batch_write(ctx: ProbeContext) -> Any:
    # BatchWriteItem takes no conditions; deleting the reserved key, which nothing ever writes, changes nothing.
    return ctx.client("dynamodb").batch_write_item(RequestItems={ctx.table: [{"DeleteRequest": {"Key": PROBE_KEY}}]})


_TERM = {"name": PROBE_ID, "glossaryIdentifier": PROBE_ID}


PROBES: Probes = [
    ("datazone:ListProjects", Probe(datazone_call("list_projects", maxResults=1), needs_domain)),
    (
        "datazone:SearchTypes",
        Probe(datazone_call("search_types", searchScope="ASSET_TYPE", managed=False, maxResults=1), needs_domain),
    ),
    (
        "datazone:CreateProject",
        Probe(
            datazone_call("create_project", name=PROBE_ID, glossaryTerms=[PROBE_ID]),
            needs_domain,
            note="refused because its glossary term does not exist",
        ),
    ),
    (
        "datazone:CreateFormType",
        Probe(
            datazone_call(
                "create_form_type",
                name=PROBE_ID,
                owningProjectIdentifier=PROBE_ID,
                model={"smithy": f"structure {PROBE_ID} {{}}"},
            ),
            needs_domain,
        ),
    ),
    (
        "datazone:CreateAssetType",
        Probe(
            datazone_call("create_asset_type", name=PROBE_ID, owningProjectIdentifier=PROBE_ID, formsInput={}),
            needs_domain,
        ),
    ),
    (
        "datazone:CreateGlossary",
        Probe(datazone_call("create_glossary", name=PROBE_ID, owningProjectIdentifier=PROBE_ID), needs_domain),
    ),
    (
        "datazone:UpdateGlossary",
        Probe(datazone_call("update_glossary", identifier=PROBE_ID, name=PROBE_ID), needs_domain),
    ),
    ("datazone:CreateGlossaryTerm", Probe(datazone_call("create_glossary_term", **_TERM), needs_domain)),
    (
        "datazone:UpdateGlossaryTerm",
        Probe(datazone_call("update_glossary_term", identifier=PROBE_ID, name=PROBE_ID), needs_domain),
    ),
    (
        "datazone:CreateAsset",
        Probe(
            datazone_call("create_asset", name=PROBE_ID, typeIdentifier=PROBE_ID, owningProjectIdentifier=PROBE_ID),
            needs_domain,
        ),
    ),
    (
        "datazone:CreateAssetRevision",
        Probe(datazone_call("create_asset_revision", identifier=PROBE_ID, name=PROBE_ID), needs_domain),
    ),
    # The backup table, in its own region
    ("dynamodb:DescribeTable", Probe(table_call("describe_table"), needs_table)),
    ("dynamodb:GetItem", Probe(table_call("get_item", Key=PROBE_KEY), needs_table)),
    (
        "dynamodb:Query",
        Probe(
            table_call(
                "query",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": PROBE_KEY["pk"]},
                Limit=1,
            ),
            needs_table,
        ),
    ),
    (
        "dynamodb:PutItem",
        Probe(
            table_call("put_item", Item=PROBE_KEY, ConditionExpression="attribute_exists(pk)"),
            needs_table,
            note="refused by a condition that cannot hold",
        ),
    ),
    ("dynamodb:BatchWriteItem", Probe(_batch_write, needs_table, note="deletes a key that is never written")),
    # Reads of the replicas (status, restore from a replica): the same actions on other regions' tables.
    ("dynamodb:DescribeTable", Probe(replica_call("describe_table"), needs_replicas)),
    ("dynamodb:GetItem", Probe(replica_call("get_item", Key=PROBE_KEY), needs_replicas)),
]
