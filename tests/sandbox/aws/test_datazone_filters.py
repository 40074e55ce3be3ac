"""The DataZone emulator's asset filters and scoped acceptance, through boto3."""

import time

import pytest
from botocore.exceptions import ClientError

ROW = {"rowConfiguration": {"rowFilter": {"expression": {"equalTo": {"columnName": "region", "value": "EU"}}}}}
COLUMNS = {"columnConfiguration": {"includedColumnNames": ["customer_id", "email"]}}


@pytest.fixture
def filtered(world):
    dz, domain = world["dz"], world["domain"]
    row = dz.create_asset_filter(
        domainIdentifier=domain, assetIdentifier=world["asset"], name="eu rows", configuration=ROW
    )
    cols = dz.create_asset_filter(
        domainIdentifier=domain, assetIdentifier=world["asset"], name="contact", configuration=COLUMNS
    )
    change = dz.create_listing_change_set(
        domainIdentifier=domain, entityIdentifier=world["asset"], entityType="ASSET", action="PUBLISH"
    )
    time.sleep(0.25)
    request = dz.create_subscription_request(
        domainIdentifier=domain,
        requestReason="campaign",
        subscribedPrincipals=[{"project": {"identifier": world["consumer"]}}],
        subscribedListings=[{"identifier": change["listingId"]}],
    )
    return {**world, "row": row["id"], "cols": cols["id"], "request": request["id"], "listing": change["listingId"]}


def test_filters_are_listed_and_read(filtered):
    dz, domain, asset = filtered["dz"], filtered["domain"], filtered["asset"]
    items = dz.list_asset_filters(domainIdentifier=domain, assetIdentifier=asset)["items"]
    assert [(f["name"], f["status"]) for f in items] == [("eu rows", "VALID"), ("contact", "VALID")]
    got = dz.get_asset_filter(domainIdentifier=domain, assetIdentifier=asset, identifier=filtered["cols"])
    assert got["configuration"] == COLUMNS and got["effectiveColumnNames"] == ["customer_id", "email"]
    with pytest.raises(dz.exceptions.ResourceNotFoundException):
        dz.get_asset_filter(domainIdentifier=domain, assetIdentifier=asset, identifier="nofilter")
    with pytest.raises(dz.exceptions.ConflictException):
        dz.create_asset_filter(domainIdentifier=domain, assetIdentifier=asset, name="contact", configuration=COLUMNS)


def test_accepting_with_a_scope_records_it_on_the_request_subscription_and_grant(filtered):
    dz, domain = filtered["dz"], filtered["domain"]
    dz.accept_subscription_request(
        domainIdentifier=domain,
        identifier=filtered["request"],
        assetScopes=[{"assetId": filtered["asset"], "filterIds": [filtered["row"]]}],
    )
    detail = dz.get_subscription_request_details(domainIdentifier=domain, identifier=filtered["request"])
    scope = detail["subscribedListings"][0]["item"]["assetListing"]["assetScope"]
    assert scope["assetId"] == filtered["asset"] and scope["filterIds"] == [filtered["row"]]
    [subscription] = dz.list_subscriptions(domainIdentifier=domain, subscribedListingId=filtered["listing"])["items"]
    assert subscription["subscribedListing"]["item"]["assetListing"]["assetScope"]["filterIds"] == [filtered["row"]]
    [grant] = dz.list_subscription_grants(domainIdentifier=domain, subscriptionId=subscription["id"])["items"]
    assert grant["assets"][0]["assetScope"]["filterIds"] == [filtered["row"]]


def test_a_filter_of_another_asset_is_refused_and_the_request_stays_pending(filtered):
    dz, domain = filtered["dz"], filtered["domain"]
    with pytest.raises(ClientError) as raised:
        dz.accept_subscription_request(
            domainIdentifier=domain,
            identifier=filtered["request"],
            assetScopes=[{"assetId": filtered["asset"], "filterIds": ["notthisassets"]}],
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    detail = dz.get_subscription_request_details(domainIdentifier=domain, identifier=filtered["request"])
    assert detail["status"] == "PENDING"
    assert "assetScope" not in detail["subscribedListings"][0]["item"]["assetListing"]


def test_accepting_without_a_scope_grants_the_whole_asset(filtered):
    dz, domain = filtered["dz"], filtered["domain"]
    dz.accept_subscription_request(domainIdentifier=domain, identifier=filtered["request"])
    detail = dz.get_subscription_request_details(domainIdentifier=domain, identifier=filtered["request"])
    assert "assetScope" not in detail["subscribedListings"][0]["item"]["assetListing"]
