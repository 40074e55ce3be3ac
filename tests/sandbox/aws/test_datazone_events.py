"""Each DataZone emulator action puts exactly the events DataZone sends on the queue, read back from SQS."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from sandbox.aws.datazone import datazone_service
from sandbox.aws.datazone.catalog import CatalogHandlers
from sandbox.aws.datazone.sources import SourceHandlers
from sandbox.aws.datazone.state import State
from sandbox.aws.restjson import EmulatorServer
from tests.harness import free_port
from tests.sandbox.aws.events_harness import EventsQueue, calls, one, types

ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
# The user guide's sample "Subscription Request Created" (metadata.clientToken appears when the call sent one).
SAMPLE_METADATA = {"domain", "user", "id", "version", "typeName", "owningProjectId", "awsAccountId", "clientToken"}
SAMPLE_DATA = {"autoApproved", "requesterId", "status", "subscribedListings", "subscribedPrincipals"}
MINIMAL_METADATA = {"domain", "user", "id", "version", "awsAccountId"}
CLOUDTRAIL = {
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "requestID",
    "eventID",
    "readOnly",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
}


@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def emulator():
    service = datazone_service()
    server = EmulatorServer(service.handle).start()
    yield service, server.url
    server.stop()


@pytest.fixture
def dz(emulator, moto_url):
    """A boto3 client on a fresh, publishing emulator; `dz.queue` is the events queue it feeds."""
    service, url = emulator
    queue = EventsQueue(moto_url, f"events-{uuid.uuid4().hex[:8]}")
    state = State()
    state.publisher = queue.publisher
    service.handlers.state = state
    client = boto3.client(
        "datazone",
        region_name="eu-west-1",
        endpoint_url=url,
        aws_access_key_id="AKIATESTING",
        aws_secret_access_key="x",
    )
    domain = state.add_domain("events", "dzd_events")
    producer = client.create_project(domainIdentifier=domain.id, name="producer")["id"]
    consumer = client.create_project(domainIdentifier=domain.id, name="consumer")["id"]
    client.create_form_type(
        domainIdentifier=domain.id,
        name="BusinessMetadata",
        owningProjectIdentifier=producer,
        model={"smithy": "structure BusinessMetadata { classification: String }"},
    )
    client.create_asset_type(
        domainIdentifier=domain.id,
        name="GlueTable",
        owningProjectIdentifier=producer,
        formsInput={"BusinessMetadata": {"typeIdentifier": "BusinessMetadata", "typeRevision": "1", "required": True}},
    )
    queue.take()
    yield client, queue, {"domain": domain.id, "producer": producer, "consumer": consumer, "state": state}
    queue.close()


def _asset(client, ids, name="sales"):
    return client.create_asset(
        domainIdentifier=ids["domain"],
        name=name,
        typeIdentifier="GlueTable",
        owningProjectIdentifier=ids["producer"],
        formsInput=[{"formName": "BusinessMetadata", "content": json.dumps({"classification": "internal"})}],
    )["id"]


def _published(client, queue, ids):
    asset = _asset(client, ids)
    listing = client.create_listing_change_set(
        domainIdentifier=ids["domain"], entityIdentifier=asset, entityType="ASSET", action="PUBLISH"
    )["listingId"]
    queue.wait_for(lambda events: "Asset Added To Catalog" in types(events))
    return asset, listing


def _request(client, ids, listing):
    return client.create_subscription_request(
        domainIdentifier=ids["domain"],
        requestReason="campaign",
        subscribedPrincipals=[{"project": {"identifier": ids["consumer"]}}],
        subscribedListings=[{"identifier": listing}],
    )


def test_a_new_request_sends_the_documented_event_once(dz):
    client, queue, ids = dz
    _, listing = _published(client, queue, ids)
    request = _request(client, ids, listing)
    events = queue.take()
    assert types(events) == ["Subscription Request Created"] and calls(events) == ["CreateSubscriptionRequest"]
    event = one(events, "Subscription Request Created")
    assert set(event) == ENVELOPE and event["source"] == "aws.datazone" and event["account"] == "123456789012"
    detail = event["detail"]
    assert set(detail) == {"version", "metadata", "data"}
    assert set(detail["metadata"]) == SAMPLE_METADATA and set(detail["data"]) == SAMPLE_DATA
    assert detail["metadata"]["id"] == request["id"] and detail["metadata"]["domain"] == ids["domain"]
    assert detail["metadata"]["typeName"] == "SubscriptionRequestEntityType"
    assert detail["metadata"]["owningProjectId"] == ids["consumer"]
    assert detail["data"]["subscribedListings"] == [{"id": listing, "ownerProjectId": ids["producer"], "version": "1"}]
    assert detail["data"]["subscribedPrincipals"] == [{"id": ids["consumer"], "type": "PROJECT"}]
    assert detail["data"]["status"] == "PENDING" and detail["data"]["autoApproved"] is False


def test_accepting_sends_accepted_subscription_created_and_the_grant(dz):
    client, queue, ids = dz
    _, listing = _published(client, queue, ids)
    request = _request(client, ids, listing)
    queue.take()
    client.accept_subscription_request(domainIdentifier=ids["domain"], identifier=request["id"])
    events = queue.take()
    assert types(events) == [
        "Subscription Request Accepted",
        "Subscription Created",
        "Subscription Grant Requested",
        "Subscription Grant Completed",
    ]
    assert calls(events) == ["AcceptSubscriptionRequest"]
    accepted = one(events, "Subscription Request Accepted")["detail"]
    assert accepted["metadata"]["id"] == request["id"] and accepted["data"]["status"] == "ACCEPTED"
    created = one(events, "Subscription Created")["detail"]
    [subscription] = client.list_subscriptions(domainIdentifier=ids["domain"])["items"]
    assert created["metadata"]["id"] == subscription["id"]
    assert created["metadata"]["owningProjectId"] == ids["consumer"]
    assert created["data"] == {
        "status": "APPROVED",
        "subscribedListing": {"id": listing, "ownerProjectId": ids["producer"], "version": "1"},
        "subscribedPrincipal": {"id": ids["consumer"], "type": "PROJECT"},
        "subscriptionRequestId": request["id"],
    }
    [grant] = client.list_subscription_grants(domainIdentifier=ids["domain"])["items"]
    completed = one(events, "Subscription Grant Completed")["detail"]
    assert set(completed["metadata"]) == MINIMAL_METADATA and completed["metadata"]["id"] == grant["id"]


def test_rejecting_and_deleting_a_request(dz):
    client, queue, ids = dz
    _, listing = _published(client, queue, ids)
    rejected = _request(client, ids, listing)
    deleted = _request(
        client,
        ids,
        listing,
    )
    queue.take()
    client.reject_subscription_request(domainIdentifier=ids["domain"], identifier=rejected["id"])
    client.delete_subscription_request(domainIdentifier=ids["domain"], identifier=deleted["id"])
    events = queue.take()
    assert types(events) == ["Subscription Request Rejected", "Subscription Request Deleted"]
    assert calls(events) == ["RejectSubscriptionRequest", "DeleteSubscriptionRequest"]
    assert one(events, "Subscription Request Rejected")["detail"]["data"]["status"] == "REJECTED"
    assert one(events, "Subscription Request Deleted")["detail"]["metadata"]["id"] == deleted["id"]


def test_revoking_and_cancelling_subscriptions_revoke_their_grants(dz):
    client, queue, ids = dz
    _, listing = _published(client, queue, ids)
    for _ in range(2):
        request = _request(client, ids, listing)
        client.accept_subscription_request(domainIdentifier=ids["domain"], identifier=request["id"])
    first, second = (s["id"] for s in client.list_subscriptions(domainIdentifier=ids["domain"])["items"])
    queue.take()
    client.revoke_subscription(domainIdentifier=ids["domain"], identifier=first)
    client.cancel_subscription(domainIdentifier=ids["domain"], identifier=second)
    events = queue.take()
    revoke = ["Subscription Grant Revoke Requested", "Subscription Grant Revoke Completed"]
    assert types(events) == ["Subscription Revoked", *revoke, "Subscription Cancelled", *revoke]
    assert calls(events) == ["RevokeSubscription", "CancelSubscription"]
    assert one(events, "Subscription Revoked")["detail"]["data"]["status"] == "REVOKED"
    assert one(events, "Subscription Cancelled")["detail"]["metadata"]["id"] == second


def test_an_asset_through_inventory_catalog_unpublish_and_delete(dz):
    client, queue, ids = dz
    asset = _asset(client, ids)
    events = queue.take()
    assert types(events) == ["Asset Added To Inventory"] and calls(events) == ["CreateAsset"]
    inventory = one(events, "Asset Added To Inventory")["detail"]["metadata"]
    assert inventory["id"] == asset and inventory["owningProjectId"] == ids["producer"]
    client.create_listing_change_set(
        domainIdentifier=ids["domain"], entityIdentifier=asset, entityType="ASSET", action="PUBLISH"
    )
    # Nobody polls the listing: it goes active on its own, and DataZone says so.
    events = queue.wait_for(lambda got: "Asset Added To Catalog" in types(got))
    assert types(events) == ["Asset Added To Catalog"] and calls(events) == ["CreateListingChangeSet"]
    assert one(events, "Asset Added To Catalog")["detail"]["metadata"]["id"] == asset
    client.create_listing_change_set(
        domainIdentifier=ids["domain"], entityIdentifier=asset, entityType="ASSET", action="UNPUBLISH"
    )
    client.delete_asset(domainIdentifier=ids["domain"], identifier=asset)
    events = queue.take()
    assert types(events) == ["Asset Unpublished", "Asset Listing Deleted"]
    assert calls(events) == ["CreateListingChangeSet", "DeleteAsset"]
    delete = next(e for e in events if e["detail"].get("eventName") == "DeleteAsset")["detail"]
    assert delete["requestParameters"] == {"domainIdentifier": ids["domain"], "identifier": asset}


def test_a_republished_asset_with_subscribers_announces_a_new_version(dz):
    client, queue, ids = dz
    asset, listing = _published(client, queue, ids)
    request = _request(client, ids, listing)
    client.accept_subscription_request(domainIdentifier=ids["domain"], identifier=request["id"])
    client.create_asset_revision(domainIdentifier=ids["domain"], identifier=asset, name="sales", description="v2")
    queue.take()
    client.create_listing_change_set(
        domainIdentifier=ids["domain"], entityIdentifier=asset, entityType="ASSET", action="PUBLISH"
    )
    events = queue.wait_for(lambda got: "New Asset Version Available" in types(got))
    assert types(events) == ["Asset Added To Catalog", "New Asset Version Available"]


def _glue_source(client, ids, database):
    client.put_environment_blueprint_configuration(
        domainIdentifier=ids["domain"], environmentBlueprintIdentifier="DefaultDataLake", enabledRegions=["eu-west-1"]
    )
    environment = client.create_environment(
        domainIdentifier=ids["domain"],
        projectIdentifier=ids["producer"],
        name=f"lake-{database}",
        environmentProfileIdentifier="",
        environmentBlueprintIdentifier="DefaultDataLake",
    )["id"]
    return client.create_data_source(
        domainIdentifier=ids["domain"],
        projectIdentifier=ids["producer"],
        name=f"glue-{database}",
        type="GLUE",
        environmentIdentifier=environment,
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": database}]}},
    )["id"]


def test_a_data_source_run_finishes_and_reports_without_being_polled(dz):
    client, queue, ids = dz
    ids["state"].inventory[("glue", "sales", "")] = [
        {"name": "orders", "description": "Orders"},
        {"name": "broken", "error": "unsupported column type"},
    ]
    source = _glue_source(client, ids, "sales")
    events = queue.take()
    assert types(events) == [
        "Environment Deployment Started",
        "Environment Deployment Completed",
        "Data Source Created",
    ]
    run = client.start_data_source_run(domainIdentifier=ids["domain"], dataSourceIdentifier=source)
    events = queue.wait_for(lambda got: "Data Source Run Succeeded" in types(got))
    assert types(events) == ["Data Source Run Triggered", "Asset Added To Inventory", "Data Source Run Succeeded"]
    assert calls(events) == ["StartDataSourceRun"]
    for detail_type in ("Data Source Run Triggered", "Data Source Run Succeeded"):
        detail = one(events, detail_type)["detail"]
        assert detail["metadata"]["id"] == run["id"]
        assert detail["data"] == {"dataSourceId": source, "dataSourceRunType": "PRIORITIZED"}
    [added] = client.list_data_source_run_activities(
        domainIdentifier=ids["domain"], identifier=run["id"], status="SUCCEEDED_CREATED"
    )["items"]
    assert one(events, "Asset Added To Inventory")["detail"]["metadata"]["id"] == added["dataAssetId"]


def test_a_run_that_imports_nothing_fails(dz):
    client, queue, ids = dz
    ids["state"].inventory[("glue", "broken", "")] = [{"name": "broken", "error": "unsupported column type"}]
    source = _glue_source(client, ids, "broken")
    queue.take()
    client.start_data_source_run(domainIdentifier=ids["domain"], dataSourceIdentifier=source)
    events = queue.wait_for(lambda got: "Data Source Run Failed" in types(got))
    assert types(events) == ["Data Source Run Triggered", "Data Source Run Failed"]


def test_api_writes_reach_eventbridge_through_cloudtrail(dz):
    client, queue, ids = dz
    glossary = client.create_glossary(
        domainIdentifier=ids["domain"], name="Sales", owningProjectIdentifier=ids["producer"]
    )
    term = client.create_glossary_term(
        domainIdentifier=ids["domain"], glossaryIdentifier=glossary["id"], name="Revenue", shortDescription="Money"
    )
    client.update_glossary_term(domainIdentifier=ids["domain"], identifier=term["id"], shortDescription="Income")
    client.delete_glossary_term(domainIdentifier=ids["domain"], identifier=term["id"])
    events = queue.take()
    assert types(events) == []  # DataZone sends no glossary events of its own
    assert calls(events) == ["CreateGlossary", "CreateGlossaryTerm", "UpdateGlossaryTerm", "DeleteGlossaryTerm"]
    created = next(e for e in events if e["detail"]["eventName"] == "CreateGlossaryTerm")
    assert created["detail-type"] == "AWS API Call via CloudTrail" and set(created) == ENVELOPE
    detail = created["detail"]
    assert set(detail) == CLOUDTRAIL
    assert detail["eventSource"] == "datazone.amazonaws.com" and detail["eventType"] == "AwsApiCall"
    assert detail["readOnly"] is False and detail["managementEvent"] is True
    assert detail["recipientAccountId"] == "123456789012" and detail["awsRegion"] == "eu-west-1"
    assert detail["requestParameters"]["name"] == "Revenue"
    assert detail["requestParameters"]["glossaryIdentifier"] == glossary["id"]
    assert detail["responseElements"]["id"] == term["id"]
    assert detail["userIdentity"]["accessKeyId"] == "AKIATESTING" and detail["userIdentity"]["type"] == "IAMUser"
    assert detail["userAgent"].startswith("Boto3/")  # the caller's User-Agent, as CloudTrail records it
    deleted = next(e for e in events if e["detail"]["eventName"] == "DeleteGlossaryTerm")["detail"]
    assert deleted["responseElements"] is None


def test_projects_and_memberships(dz):
    client, queue, ids = dz
    state = ids["state"]
    state.domains[ids["domain"]].users["usr_bob"] = {"domainId": ids["domain"], "id": "usr_bob", "type": "IAM"}
    project = client.create_project(domainIdentifier=ids["domain"], name="finance")["id"]
    for designation in ("PROJECT_CONTRIBUTOR", "PROJECT_OWNER", "PROJECT_OWNER"):
        client.create_project_membership(
            domainIdentifier=ids["domain"],
            projectIdentifier=project,
            member={"userIdentifier": "usr_bob"},
            designation=designation,
        )
    events = queue.take()
    assert types(events) == [
        "Project Creation Succeeded",
        "Project Member Addition Succeeded",
        "Project Member Role Change Succeeded",
    ]
    assert calls(events) == ["CreateProject", *["CreateProjectMembership"] * 3]
    assert one(events, "Project Creation Succeeded")["detail"]["metadata"]["id"] == project


def test_reads_and_failed_calls_send_nothing(dz):
    client, queue, ids = dz
    client.get_project(domainIdentifier=ids["domain"], identifier=ids["producer"])
    client.search(domainIdentifier=ids["domain"], searchScope="ASSET")
    with pytest.raises(client.exceptions.ConflictException):
        client.create_project(domainIdentifier=ids["domain"], name="producer")
    with pytest.raises(client.exceptions.ValidationException):
        client.create_asset(
            domainIdentifier=ids["domain"],
            name="bad",
            typeIdentifier="GlueTable",
            owningProjectIdentifier=ids["producer"],
            formsInput=[{"formName": "BusinessMetadata", "content": "not json"}],
        )
    assert queue.take() == []


def test_switched_off_the_emulator_is_silent(dz):
    client, queue, ids = dz
    queue.publisher.enabled = False
    _asset(client, ids)
    assert queue.take() == []
    queue.publisher.enabled = True
    _asset(client, ids, "second")
    assert types(queue.take()) == ["Asset Added To Inventory"]


def test_without_a_publisher_nothing_is_kept_for_later(dz):
    client, queue, ids = dz
    state = ids["state"]
    state.publisher = None
    _asset(client, ids)
    state.publisher = queue.publisher
    client.get_project(domainIdentifier=ids["domain"], identifier=ids["producer"])
    assert queue.take() == []


@pytest.fixture(autouse=True)
def _quick_background_work():
    # Listings and runs complete after a short while, as in the service; short keeps the tests quick.
    before = CatalogHandlers.publish_seconds, SourceHandlers.run_seconds
    CatalogHandlers.publish_seconds, SourceHandlers.run_seconds = 0.05, 0.05
    yield
    CatalogHandlers.publish_seconds, SourceHandlers.run_seconds = before


def test_a_rerun_finding_changed_columns_sends_asset_schema_changed(dz):
    client, queue, ids = dz
    table = {"name": "orders", "description": "Orders", "columns": ["id", "amount"]}
    ids["state"].inventory[("glue", "shop", "")] = [table]
    source = _glue_source(client, ids, "shop")
    client.start_data_source_run(domainIdentifier=ids["domain"], dataSourceIdentifier=source)
    queue.wait_for(lambda got: "Data Source Run Succeeded" in types(got))
    client.start_data_source_run(domainIdentifier=ids["domain"], dataSourceIdentifier=source)
    unchanged = queue.wait_for(lambda got: "Data Source Run Succeeded" in types(got))
    assert types(unchanged) == ["Data Source Run Triggered", "Data Source Run Succeeded"]
    table["columns"] = ["id", "amount", "currency"]
    run = client.start_data_source_run(domainIdentifier=ids["domain"], dataSourceIdentifier=source)
    events = queue.wait_for(lambda got: "Data Source Run Succeeded" in types(got))
    assert types(events) == ["Data Source Run Triggered", "Asset Schema Changed", "Data Source Run Succeeded"]
    [activity] = client.list_data_source_run_activities(domainIdentifier=ids["domain"], identifier=run["id"])["items"]
    assert activity["dataAssetStatus"] == "SUCCEEDED_UPDATED"
    assert one(events, "Asset Schema Changed")["detail"]["metadata"]["id"] == activity["dataAssetId"]
    asset = client.get_asset(domainIdentifier=ids["domain"], identifier=activity["dataAssetId"])
    assert asset["revision"] == "2"
    stats = client.get_data_source_run(domainIdentifier=ids["domain"], identifier=run["id"])["runStatisticsForAssets"]
    assert (stats["added"], stats["updated"]) == (0, 1)


def test_a_project_update_reaches_eventbridge_through_cloudtrail_only(dz):
    client, queue, ids = dz
    client.update_project(domainIdentifier=ids["domain"], identifier=ids["producer"], description="Sales data")
    events = queue.take()
    assert types(events) == [] and calls(events) == ["UpdateProject"]
    detail = events[0]["detail"]
    assert detail["requestParameters"] == {
        "domainIdentifier": ids["domain"],
        "identifier": ids["producer"],
        "description": "Sales data",
    }
    assert detail["responseElements"]["description"] == "Sales data"
