"""Glue and Redshift registration: the data source created once, the named tables only, progress, summaries."""

import json
import uuid

from bot.inbox.envelope import InboundEvent
from handlers.publishing import ids
from handlers.publishing.payload import DETAIL_TYPE, SOURCE
from sandbox.runtime import ANALYST, APPROVER
from sandbox.world import DOMAIN_ID
from tests.handlers.publishing.helpers import buttons, command, posted, press, reply
from tests.handlers.subscriptions.helpers import event as datazone_event
from tests.harness import eventually

PAYLOAD = {
    "source": SOURCE,
    "detail-type": DETAIL_TYPE,
    "datasets": [
        {
            "clusterName": "sales-dw",
            "dbName": "dev",
            "schemas": [
                {
                    "schemaName": "public",
                    "addAllTables": False,
                    "addAllViews": False,
                    "tables": ["sales_fact", "store_dim"],
                    "views": ["v_weekly_sales"],
                }
            ],
        },
        {
            "clusterName": "sales-dw",
            "dbName": "finance",
            "schemas": [{"schemaName": "public", "addAllTables": True, "addAllViews": True, "tables": [], "views": []}],
        },
        {
            "clusterName": "sales-dw",
            "dbName": "logistics",
            "schemas": [
                {
                    "schemaName": "reporting",
                    "addAllTables": True,
                    "addAllViews": False,
                    "tables": [],
                    "views": ["v_late_shipments"],
                }
            ],
        },
    ],
}


def sources(bot, name=None):
    """The producer project's data sources in DataZone, by name."""
    items = bot["dz"].list_data_sources(domainIdentifier=DOMAIN_ID, projectIdentifier=bot["box"].world.producer_project)
    return [s for s in items["items"] if name is None or s["name"] == name]


def environments(bot, blueprint):
    """The producer project's environments of one blueprint."""
    return bot["dz"].list_environments(
        domainIdentifier=DOMAIN_ID,
        projectIdentifier=bot["box"].world.producer_project,
        environmentBlueprintIdentifier=blueprint,
    )["items"]


def run_of(bot, text, seen=()):
    """The run id the command's reply names (other than those already `seen`)."""
    call = reply(bot, lambda body: "Started run" in body and text in body and not any(s in body for s in seen))
    return call.body["text"].split("`")[1]


def summary(bot, run_id):
    """The run's summary in the card's thread."""
    return posted(bot, lambda body: f"Run `{run_id}` of" in body and "thread_ts" in body)


def imported(bot, run_id):
    items = bot["dz"].list_data_source_run_activities(domainIdentifier=DOMAIN_ID, identifier=run_id)["items"]
    return {a["technicalName"]: a["dataAssetStatus"] for a in items}


def test_glue_registration_imports_the_named_tables_only_and_is_idempotent(bot):
    command(bot, "glue sales/orders_raw,orders_daily", APPROVER)
    run_id = run_of(bot, "opsbot-glue-sales")
    posted(bot, lambda body: "Registering Glue sales" in body)
    progress = posted(
        bot, lambda body: "Created data source opsbot-glue-sales" in body or "data source opsbot-glue-sales" in body
    )
    assert progress.body["thread_ts"]
    text = json.dumps(summary(bot, run_id).body)
    assert "2 added" in text and "0 failed" in text
    assert set(imported(bot, run_id)) == {"orders_raw", "orders_daily"}  # not tmp_scratch
    # The same registration again: the environment and data source are found, not created twice.
    command(bot, "glue sales/orders_raw,orders_daily", APPROVER)
    second = run_of(bot, "opsbot-glue-sales", seen=[run_id])
    assert second != run_id
    summary(bot, second)
    assert len(sources(bot, "opsbot-glue-sales")) == 1
    assert len(environments(bot, "DefaultDataLake")) == 1
    assert set(imported(bot, second).values()) == {"UNCHANGED"}


def test_redshift_registration_reports_the_failed_table_with_its_error(bot):
    command(bot, "redshift sales-dw/dev/public", APPROVER)
    run_id = run_of(bot, "opsbot-redshift-sales-dw-dev")
    text = json.dumps(summary(bot, run_id).body)
    assert "partially succeeded" in text
    assert "legacy_import" in text and "unsupported column type: SUPER" in text
    source = sources(bot, "opsbot-redshift-sales-dw-dev")[0]
    detail = bot["dz"].get_data_source(domainIdentifier=DOMAIN_ID, identifier=source["dataSourceId"])
    config = detail["configuration"]["redshiftRunConfiguration"]
    assert config["redshiftCredentialConfiguration"]["secretManagerArn"].startswith("arn:aws:secretsmanager:")
    assert config["redshiftStorage"]["redshiftClusterSource"]["clusterName"] == "sales-dw"
    # /publish status tells the same story to anyone.
    command(bot, f"status {run_id}", ANALYST)
    reply(bot, lambda body: f"Run {run_id}" in body and "legacy_import" in body and "SUPER" in body)


def test_a_summary_slack_refuses_as_a_card_still_arrives_as_text(bot):
    slack = bot["box"].slack
    slack.fail_next(
        "chat.postMessage",
        200,
        {"ok": False, "error": "invalid_blocks"},
        when=lambda body: bool(body.get("blocks")) and "Run `" in json.dumps(body["blocks"]),
    )
    command(bot, "redshift sales-dw/dev/public", APPROVER)
    run_id = run_of(bot, "opsbot-redshift-sales-dw-dev")
    text = posted(bot, lambda body: f"Run {run_id} of" in body and "thread_ts" in body and '"blocks"' not in body)
    assert "legacy_import" in text.body["text"] and "SUPER" in text.body["text"]
    [refused] = [c for c in slack.calls_to("chat.postMessage") if c.error == "invalid_blocks"]
    assert f"Run `{run_id}`" in json.dumps(refused.body["blocks"])


def test_created_assets_wait_for_the_preview_gate(bot):
    command(bot, "redshift sales-dw/finance/public/invoices", APPROVER)
    run_id = run_of(bot, "opsbot-redshift-sales-dw-finance")
    call = summary(bot, run_id)
    assert "wait for the governance preview" in json.dumps(call.body)
    preview = buttons(call)
    (value,) = [v for k, v in preview.items() if k == ids.PREVIEW]
    press(bot, ids.PREVIEW, value, APPROVER)
    reply(bot, lambda body: "Publish invoices?" in body and "BusinessMetadata" in body)


def test_a_user_without_a_role_cannot_register_and_nothing_is_created(bot):
    before = len(sources(bot))
    refused = bot["driver"].command("/publish", "glue sales", user="U0NOBODY")
    assert "Only project owners and contributors" in refused.body
    command(bot, "glue sales", ANALYST)  # mapped to DataZone, but not a member of the producer project
    reply(bot, lambda body: "Only the owners and contributors of Sales producer" in body)
    assert len(sources(bot)) == before


def test_the_references_three_database_payload_registers_all_three_as_an_event(bot):
    event = InboundEvent(
        event_id=str(uuid.uuid4()), source=SOURCE, detail_type=DETAIL_TYPE, detail=PAYLOAD, via="eventbridge"
    )
    bot["inbox"].handle(event)
    for database in ("dev", "finance", "logistics"):
        assert len(sources(bot, f"opsbot-redshift-sales-dw-{database}")) == 1
    runs = {}
    for database in ("dev", "finance", "logistics"):
        source = sources(bot, f"opsbot-redshift-sales-dw-{database}")[0]
        items = bot["dz"].list_data_source_runs(domainIdentifier=DOMAIN_ID, dataSourceIdentifier=source["dataSourceId"])
        runs[database] = max(items["items"], key=lambda r: r["createdAt"])["id"]
    for run_id in runs.values():
        summary(bot, run_id)
    assert set(imported(bot, runs["dev"])) == {"sales_fact", "store_dim", "v_weekly_sales"}
    assert set(imported(bot, runs["finance"])) == {"invoices", "v_revenue"}
    assert set(imported(bot, runs["logistics"])) == {"shipments", "v_late_shipments"}


def test_a_malformed_payload_event_is_reported_per_field_and_registers_nothing(bot):
    before = len(sources(bot))
    bad = {"datasets": [{"clusterName": "Sales DW", "schemas": [{"schemaName": "public"}]}]}
    event = InboundEvent(event_id=str(uuid.uuid4()), source=SOURCE, detail_type=DETAIL_TYPE, detail=bad, via="raw")
    bot["deps"].events.handler_for(event)(event)
    text = json.dumps(posted(bot, lambda body: "Registration event" in body).body)
    assert "datasets[0].clusterName" in text and "datasets[0].dbName: Field required" in text
    assert "datasets[0].schemas[0]: names no tables or views" in text
    assert len(sources(bot)) == before


def test_the_run_succeeded_event_posts_the_summary_once(bot):
    command(bot, "glue sales/tmp_scratch", APPROVER)
    run_id = run_of(bot, "opsbot-glue-sales")
    event = datazone_event(run_id, "Data Source Run Succeeded")
    handler = bot["deps"].events.handler_for(event)
    eventually(
        lambda: bot["dz"].get_data_source_run(domainIdentifier=DOMAIN_ID, identifier=run_id)["status"] == "SUCCESS"
    )
    handler(event)
    handler(event)
    summary(bot, run_id)
    eventually(lambda: bot["deps"].executor.submit(lambda: None).result() is None)
    posts = [c for c in bot["box"].slack.calls_to("chat.postMessage") if f"Run `{run_id}` of" in json.dumps(c.body)]
    assert len(posts) == 1
