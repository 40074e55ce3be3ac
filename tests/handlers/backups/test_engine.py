"""Backup runs over the sandbox: content, tombstones, malformed entities, incremental runs, retries, replicas."""

import json

from handlers.backups.catalog import CatalogReader
from handlers.backups.engine import FULL, INCREMENTAL
from sandbox.world import DOMAIN_ID, REPLICA_REGION
from tests.handlers.backups.helpers import items, state


def test_full_backup_round_trips_the_catalog(bot):
    run = bot["service"].run(FULL, "test")
    assert run.status == "succeeded" and run.failure is None
    live = CatalogReader(bot["dz"], DOMAIN_ID).read()
    for kind, entities in live.entities.items():
        stored = items(bot, kind)
        assert {e.id: e.body for e in entities} == {k: v["body"] for k, v in stored.items()}, kind
        assert all(not v["deleted"] and v["runId"] == run.run_id for v in stored.values())
    assets = items(bot, "ASSET")
    sales = assets[bot["box"].world.assets["mkt_sls_table"]]["body"]
    assert sales["listingStatus"] == "ACTIVE" and sales["typeIdentifier"] == "GlueTable"
    assert sales["forms"][0]["content"]["classification"] == "internal"
    assert sales["glossaryTerms"] == [bot["box"].world.glossary_terms["Revenue"]]
    terms = items(bot, "TERM")
    assert {t["body"]["name"] for t in terms.values()} == {"Revenue", "Customer"}
    assert "BusinessMetadata" in items(bot, "FORM_TYPE")
    projects = items(bot, "PROJECT")
    assert all(p["body"]["members"] for p in projects.values())
    # The replica region holds the same items: the table is global.
    assert items(bot, "ASSET", region=REPLICA_REGION) == assets
    # 25 items per BatchWriteItem call across kinds, not one PutItem per asset; then the run markers.
    assert run.write_calls == 2 and run.items_written == sum(len(items(bot, k)) for k in live.entities) + 2


def test_a_deleted_asset_becomes_a_tombstone(bot):
    asset = bot["dz"].create_asset(
        domainIdentifier=DOMAIN_ID,
        name="short_lived",
        typeIdentifier="GlueTable",
        owningProjectIdentifier=bot["box"].world.producer_project,
        formsInput=[{"formName": "BusinessMetadata", "content": json.dumps({"classification": "public"})}],
    )
    bot["service"].run(FULL, "test")
    assert items(bot, "ASSET")[asset["id"]]["deleted"] is False
    bot["dz"].delete_asset(domainIdentifier=DOMAIN_ID, identifier=asset["id"])
    run = bot["service"].run(INCREMENTAL, "test")
    tombstone = items(bot, "ASSET")[asset["id"]]
    assert tombstone["deleted"] is True and tombstone["runId"] == run.run_id
    assert tombstone["body"]["name"] == "short_lived"  # the last known state stays restorable
    assert run.count_map["ASSET"]["tombstoned"] == 1
    # A tombstone is written once.
    again = bot["service"].run(INCREMENTAL, "test")
    assert again.count_map["ASSET"]["tombstoned"] == 0


def test_a_malformed_asset_is_reported_and_the_rest_backed_up(bot):
    domain = state(bot)
    broken_id = "broken0000asset"
    good = next(iter(domain.assets.values()))
    domain.assets[broken_id] = {
        **good,
        "id": broken_id,
        "name": "broken_forms",
        "externalIdentifier": None,  # optional fields missing sank the reference's whole run
        "formsOutput": [{"formName": "BusinessMetadata", "typeName": "BusinessMetadata", "content": "{not json"}],
    }
    try:
        run = bot["service"].run(FULL, "test")
    finally:
        del domain.assets[broken_id]
    assert run.status == "partial"
    assert [e["id"] for e in run.error_list] == [broken_id]
    assert "not JSON" in run.error_list[0]["error"]
    backed_up = items(bot, "ASSET")
    assert broken_id not in backed_up
    assert set(bot["box"].world.assets.values()) <= set(backed_up)
    assert run.count_map["ASSET"]["errors"] == 1


def test_an_incremental_run_writes_only_what_changed(bot):
    bot["service"].run(FULL, "test")
    asset_id = bot["box"].world.assets["store_locations"]
    bot["dz"].create_asset_revision(
        domainIdentifier=DOMAIN_ID, identifier=asset_id, name="store_locations", description="Now with postcodes"
    )
    run = bot["service"].run(INCREMENTAL, "test")
    written = {kind: tally["written"] for kind, tally in run.count_map.items() if tally["written"]}
    assert written == {"ASSET": 1}
    assert run.items_written == 1 + 2  # the asset and the run's two markers
    assert items(bot, "ASSET")[asset_id]["body"]["description"] == "Now with postcodes"
    assert bot["service"].run(INCREMENTAL, "test").count_map["ASSET"]["written"] == 0


def test_unprocessed_items_are_sent_again(bot):
    bot["box"].global_tables.hold_back = 6  # DynamoDB hands some items back, as under throttling
    run = bot["service"].run(FULL, "test")
    assert run.status == "succeeded"
    assert bot["box"].global_tables.hold_back == 0
    assert run.write_calls > 1  # the resends
    live = CatalogReader(bot["dz"], DOMAIN_ID).read()
    assert {e.id for e in live.entities["ASSET"]} == set(items(bot, "ASSET"))


def test_an_unreachable_catalog_fails_the_run_with_a_record(bot):
    bot["box"].datazone_service.fail_next("ListProjects", "AccessDeniedException")
    run = bot["service"].run(FULL, "test")
    assert run.status == "failed" and "AccessDenied" in run.failure
    assert run.ended_at is not None


def test_a_scoped_subscription_keeps_its_filters_in_the_backup(bot):
    world = bot["box"].world
    request = bot["dz"].create_subscription_request(
        domainIdentifier=DOMAIN_ID,
        requestReason="EU campaign",
        subscribedPrincipals=[{"project": {"identifier": world.consumer_project}}],
        subscribedListings=[{"identifier": world.listings["customer_pii"]}],
    )
    scope = {"assetId": world.assets["customer_pii"], "filterIds": [world.filters["eu_customers"]]}
    bot["dz"].accept_subscription_request(domainIdentifier=DOMAIN_ID, identifier=request["id"], assetScopes=[scope])
    assert bot["service"].run(FULL, "test").status == "succeeded"
    [stored] = [v["body"] for v in items(bot, "SUBSCRIPTION").values() if v["body"]["requestId"] == request["id"]]
    assert stored["assetScope"] == scope
