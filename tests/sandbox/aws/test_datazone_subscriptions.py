"""The DataZone emulator's subscription, project and user operations, through boto3."""

import time

import boto3
import pytest


@pytest.fixture
def listing(world):
    dz = world["dz"]
    change = dz.create_listing_change_set(
        domainIdentifier=world["domain"], entityIdentifier=world["asset"], entityType="ASSET", action="PUBLISH"
    )
    time.sleep(0.25)
    return change["listingId"]


def _request(world, listing, reason="quarterly report"):
    return world["dz"].create_subscription_request(
        domainIdentifier=world["domain"],
        requestReason=reason,
        subscribedPrincipals=[{"project": {"identifier": world["consumer"]}}],
        subscribedListings=[{"identifier": listing}],
    )


def test_request_lifecycle_accept(world, listing):
    dz, domain = world["dz"], world["domain"]
    request = _request(world, listing)
    pending = dz.list_subscription_requests(domainIdentifier=domain, approverProjectId=world["producer"])["items"]
    assert [r["id"] for r in pending] == [request["id"]]
    detail = dz.get_subscription_request_details(domainIdentifier=domain, identifier=request["id"])
    assert detail["subscribedListings"][0]["item"]["assetListing"]["entityId"] == world["asset"]
    assert detail["subscribedPrincipals"][0]["project"]["name"] == "consumer"
    accepted = dz.accept_subscription_request(
        domainIdentifier=domain, identifier=request["id"], decisionComment="approved by U0ALICE in Slack"
    )
    assert accepted["status"] == "ACCEPTED" and accepted["decisionComment"].endswith("in Slack")
    assert dz.list_subscription_requests(domainIdentifier=domain)["items"] == []  # PENDING only by default
    assert dz.list_subscription_requests(domainIdentifier=domain, status="ACCEPTED")["items"][0]["id"] == request["id"]
    [subscription] = dz.list_subscriptions(domainIdentifier=domain, subscribedListingId=listing)["items"]
    assert subscription["status"] == "APPROVED"
    [grant] = dz.list_subscription_grants(domainIdentifier=domain, subscriptionId=subscription["id"])["items"]
    assert grant["assets"][0]["status"] == "GRANTED"


def test_deciding_twice_is_a_conflict(world, listing):
    dz, domain = world["dz"], world["domain"]
    request = _request(world, listing)
    dz.reject_subscription_request(domainIdentifier=domain, identifier=request["id"], decisionComment="no")
    with pytest.raises(dz.exceptions.ConflictException, match="already REJECTED"):
        dz.accept_subscription_request(domainIdentifier=domain, identifier=request["id"])
    with pytest.raises(dz.exceptions.ConflictException):
        dz.reject_subscription_request(domainIdentifier=domain, identifier=request["id"])


def test_unknown_request_is_404(world):
    with pytest.raises(world["dz"].exceptions.ResourceNotFoundException):
        world["dz"].accept_subscription_request(domainIdentifier=world["domain"], identifier="nope")


def test_request_for_unpublished_listing_is_refused(world, listing):
    dz = world["dz"]
    dz.create_listing_change_set(
        domainIdentifier=world["domain"], entityIdentifier=world["asset"], entityType="ASSET", action="UNPUBLISH"
    )
    with pytest.raises(dz.exceptions.ValidationException):
        _request(world, listing)


def test_revoke_and_its_conflict(world, listing):
    dz, domain = world["dz"], world["domain"]
    request = _request(world, listing)
    dz.accept_subscription_request(domainIdentifier=domain, identifier=request["id"])
    [subscription] = dz.list_subscriptions(domainIdentifier=domain, status="APPROVED")["items"]
    revoked = dz.revoke_subscription(domainIdentifier=domain, identifier=subscription["id"])
    assert revoked["status"] == "REVOKED"
    assert dz.get_subscription(domainIdentifier=domain, identifier=subscription["id"])["status"] == "REVOKED"
    [grant] = dz.list_subscription_grants(domainIdentifier=domain)["items"]
    assert grant["assets"][0]["status"] == "REVOKED"
    with pytest.raises(dz.exceptions.ConflictException):
        dz.revoke_subscription(domainIdentifier=domain, identifier=subscription["id"])


def test_cancel_is_the_subscribing_projects_and_lists_apart_from_approved(world, listing):
    dz, domain, state = world["dz"], world["domain"], world["service"].handlers.state
    dz.accept_subscription_request(domainIdentifier=domain, identifier=_request(world, listing)["id"])
    [subscription] = dz.list_subscriptions(domainIdentifier=domain)["items"]  # APPROVED only by default
    # Someone who is no member of the consumer project (here, of any) may not unsubscribe it.
    state.principals["AKIAOUTSIDER"] = "usr_outsider"
    outsider = boto3.client(
        "datazone",
        region_name="eu-west-1",
        endpoint_url=dz.meta.endpoint_url,
        aws_access_key_id="AKIAOUTSIDER",
        aws_secret_access_key="testing",
    )
    with pytest.raises(outsider.exceptions.AccessDeniedException):
        outsider.cancel_subscription(domainIdentifier=domain, identifier=subscription["id"])
    assert dz.get_subscription(domainIdentifier=domain, identifier=subscription["id"])["status"] == "APPROVED"
    # The projects' creator owns the consumer project too.
    cancelled = dz.cancel_subscription(domainIdentifier=domain, identifier=subscription["id"])
    assert cancelled["status"] == "CANCELLED"
    assert dz.list_subscriptions(domainIdentifier=domain)["items"] == []
    listed = dz.list_subscriptions(domainIdentifier=domain, status="CANCELLED", owningProjectId=world["consumer"])
    assert [s["id"] for s in listed["items"]] == [subscription["id"]]
    with pytest.raises(dz.exceptions.ConflictException):
        dz.cancel_subscription(domainIdentifier=domain, identifier=subscription["id"])


def test_pagination_and_sorting_of_requests(world, listing):
    dz, domain = world["dz"], world["domain"]
    ids = [_request(world, listing, reason=f"r{n}")["id"] for n in range(5)]
    newest_first = dz.list_subscription_requests(domainIdentifier=domain, sortBy="CREATED_AT", sortOrder="DESCENDING")[
        "items"
    ]
    assert [r["id"] for r in newest_first] == ids[::-1]
    pages = list(
        dz.get_paginator("list_subscription_requests").paginate(
            domainIdentifier=domain, PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    with pytest.raises(dz.exceptions.ValidationException):
        dz.list_subscription_requests(domainIdentifier=domain, status="MAYBE")


def test_projects_memberships_and_users(world):
    dz, domain = world["dz"], world["domain"]
    service = world["service"]
    service.handlers.state.domains[domain].users["usr_alice"] = {
        "domainId": domain,
        "id": "usr_alice",
        "type": "IAM",
        "status": "ACTIVATED",
        "details": {"iam": {"arn": "arn:aws:sts::123456789012:assumed-role/Analyst/alice"}},
    }
    dz.create_project_membership(
        domainIdentifier=domain,
        projectIdentifier=world["producer"],
        member={"userIdentifier": "usr_alice"},
        designation="PROJECT_CONTRIBUTOR",
    )
    members = dz.list_project_memberships(domainIdentifier=domain, projectIdentifier=world["producer"])["members"]
    assert {"memberDetails": {"user": {"userId": "usr_alice"}}, "designation": "PROJECT_CONTRIBUTOR"} in members
    profile = dz.get_user_profile(domainIdentifier=domain, userIdentifier="usr_alice")
    assert profile["details"]["iam"]["arn"].endswith("/alice")
    assert dz.get_project(domainIdentifier=domain, identifier=world["producer"])["name"] == "producer"
    assert {p["name"] for p in dz.list_projects(domainIdentifier=domain)["items"]} == {"producer", "consumer"}
    assert dz.get_domain(identifier=domain)["status"] == "AVAILABLE"
    with pytest.raises(dz.exceptions.ConflictException):
        dz.create_project(domainIdentifier=domain, name="producer")
    with pytest.raises(dz.exceptions.ResourceNotFoundException):
        dz.get_user_profile(domainIdentifier=domain, userIdentifier="usr_nobody")
