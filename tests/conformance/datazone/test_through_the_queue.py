"""DataZone's events and CloudTrail's records of DataZone calls, through the SQS consumer: what a user sees."""

import json

from bot.inbox.store import HandledEvents
from handlers.backups.engine import FULL
from sandbox.runtime import SALES_CHANNEL
from sandbox.world import DOMAIN_ID
from tests.conformance.datazone.samples import api_call, service_event
from tests.handlers.backups.helpers import items
from tests.handlers.subscriptions.helpers import card, request
from tests.harness import eventually


def deliver(bot, sample, done):
    """Put `sample` on the events queue as EventBridge would, and let the consumer work until `done()`."""
    bot["box"].client("sqs").send_message(QueueUrl=bot["box"].world.queue_url, MessageBody=json.dumps(sample))
    eventually(lambda: bot["consumer"].poll_once() >= 0 and done(), timeout=20)


def handled(bot, sample):
    """True once the inbox has finished with the sample's event id."""
    return lambda: HandledEvents(bot["deps"].db).seen(sample["id"])


def test_the_published_subscription_request_event_posts_a_card(bot):
    request_id = request(bot)
    sample = service_event("subscription-request-created.json", request_id, DOMAIN_ID)
    deliver(bot, sample, handled(bot, sample))
    call, _ = card(bot, request_id)
    assert call.body["channel"] == SALES_CHANNEL
    assert "customer_pii" in json.dumps(call.body["blocks"])


def test_an_asset_added_to_the_catalog_is_backed_up(bot):
    asset = bot["dz"].create_asset(
        domainIdentifier=DOMAIN_ID,
        name="fresh_orders",
        typeIdentifier="GlueTable",
        owningProjectIdentifier=bot["box"].world.producer_project,
        formsInput=[{"formName": "BusinessMetadata", "content": json.dumps({"classification": "public"})}],
    )["id"]
    sample = service_event("asset-added-to-catalog.json", asset, DOMAIN_ID)
    deliver(bot, sample, lambda: asset in items(bot, "ASSET"))
    assert items(bot, "ASSET")[asset]["body"]["name"] == "fresh_orders"


def test_a_glossary_term_update_recorded_by_cloudtrail_is_backed_up(bot):
    bot["service"].run(FULL, "test")
    term = bot["box"].world.glossary_terms["Customer"]
    bot["dz"].update_glossary_term(domainIdentifier=DOMAIN_ID, identifier=term, shortDescription="Buys from us")
    sample = api_call("cloudtrail-update-glossary-term.json", DOMAIN_ID, {"identifier": term}, {"id": term})
    deliver(bot, sample, lambda: items(bot, "TERM")[term]["body"]["shortDescription"] == "Buys from us")
    [run] = bot["service"].history(1)
    assert run.mode == "event" and run.count_map["TERM"]["written"] == 1


def test_an_asset_deleted_through_the_api_becomes_a_tombstone(bot):
    asset = bot["dz"].create_asset(
        domainIdentifier=DOMAIN_ID,
        name="short_lived",
        typeIdentifier="GlueTable",
        owningProjectIdentifier=bot["box"].world.producer_project,
        formsInput=[{"formName": "BusinessMetadata", "content": json.dumps({"classification": "public"})}],
    )["id"]
    bot["service"].run(FULL, "test")
    bot["dz"].delete_asset(domainIdentifier=DOMAIN_ID, identifier=asset)
    sample = api_call("cloudtrail-delete-asset.json", DOMAIN_ID, {"identifier": asset})
    deliver(bot, sample, lambda: items(bot, "ASSET")[asset]["deleted"])
    assert items(bot, "ASSET")[asset]["body"]["name"] == "short_lived"  # the last known state stays restorable


def test_a_new_form_type_is_backed_up_by_name(bot):
    producer = bot["box"].world.producer_project
    model = {"smithy": "structure DataQuality { score: Integer }"}
    bot["dz"].create_form_type(
        domainIdentifier=DOMAIN_ID, name="DataQuality", model=model, owningProjectIdentifier=producer
    )
    sample = api_call(
        "cloudtrail-create-form-type.json",
        DOMAIN_ID,
        {"name": "DataQuality", "owningProjectIdentifier": producer},
        {"owningProjectId": producer},
    )
    deliver(bot, sample, lambda: "DataQuality" in items(bot, "FORM_TYPE"))
    assert "score" in items(bot, "FORM_TYPE")["DataQuality"]["body"]["model"]


def test_a_call_datazone_refused_changes_no_backup(bot):
    bot["service"].run(FULL, "test")
    before = bot["service"].history(50)
    term = bot["box"].world.glossary_terms["Customer"]
    glossary = bot["dz"].get_glossary_term(domainIdentifier=DOMAIN_ID, identifier=term)["glossaryId"]
    sample = api_call("cloudtrail-update-glossary-denied.json", DOMAIN_ID, {"identifier": glossary})
    deliver(bot, sample, handled(bot, sample))
    assert [r.run_id for r in bot["service"].history(50)] == [r.run_id for r in before]


def test_a_call_in_another_domain_is_left_alone(bot):
    term = bot["box"].world.glossary_terms["Customer"]
    sample = api_call("cloudtrail-update-glossary-term.json", "dzd_someoneelse", {"identifier": term})
    deliver(bot, sample, handled(bot, sample))
    assert bot["service"].history(50) == [] and items(bot, "TERM") == {}
