"""What Amazon DataZone puts on EventBridge, as AWS documents it: the only names the bot may subscribe to.

Service events: AWS's EventBridge reference page "Amazon DataZone events"
(https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-datazone.html, read 2026-11-30).
Every other change reaches EventBridge only as CloudTrail's record of the API call: detail-type
"AWS API Call via CloudTrail", source "aws.datazone", detail.eventSource "datazone.amazonaws.com" and
detail.eventName the API action (same page, section "Amazon DataZone events delivered via AWS CloudTrail").
"""

from __future__ import annotations

from functools import cache

import botocore.session

from bot.inbox.router import API_CALL_DETAIL_TYPE

SOURCE = "aws.datazone"
REFERENCE_URL = "https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-datazone.html"
USER_GUIDE_URL = "https://docs.aws.amazon.com/datazone/latest/userguide/working-with-events-and-notifications.html"
READ_ON = "2026-11-30"

# The reference page's list, in its order, spelled exactly as published. Best-effort delivery.
SERVICE_EVENTS: tuple[str, ...] = (
    "Asset Publication Approval Update",
    "New Asset Version Available",
    "Asset Publication Expiration Warning",
    "Account Association State Change",
    "Account Association Repair Notification",
    "Domain Creation Succeeded",
    "Domain Creation Failed",
    "Domain Deletion Succeeded",
    "Domain Deletion Failed",
    "Domain Unit Created",
    "Domain Unit Updated",
    "Domain Unit Deleted",
    "Domain Unit Owner Added",
    "Domain Unit Owner Removed",
    "Policy Grant Added",
    "Policy Grant Removed",
    "Project Owner Added With Override",
    "Project Moved Between Domain Unit",
    "Environment Deployment Started",
    "Environment Deployment Completed",
    "Environment Deployment Failed",
    "Environment Deletion Started",
    "Environment Deletion Completed",
    "Environment Deletion Failed",
    "Project Creation Succeeded",
    "Project Member Addition Succeeded",
    "Project Member Removal Succeeded",
    "Project Member Role Change Succeeded",
    "Environment Deployment Customer Workflow Initiated",
    "Subscription Request Created",
    "Subscription Request Accepted",
    "Subscription Request Rejected",
    "Subscription Request Deleted",
    "Subscription Created",
    "Subscription Revoked",
    "Subscription Cancelled",
    "Subscription Grant Requested",
    "Subscription Grant Completed",
    "Subscription Grant Failed",
    "Subscription Grant Revoke Requested",
    "Subscription Grant Revoke Completed",
    "Subscription Grant Revoke Failed",
    "Asset Added To Inventory",
    "Asset Added To Catalog",
    "Asset Schema Changed",
    "Asset Unpublished",
    "Asset Listing Deleted",
    "Business Name Generation Succeeded",
    "Business Name Generation Failed",
    "Metadata Generation Succeeded",
    "Metadata Generation Failed",
    "Metadata Generation Canceled",
    "Metadata Generation Accepted",
    "Metadata Generation Rejected",
    "Data Source Created",
    "Data Source Updated",
    "Data Source Run Triggered",
    "Data Source Run Succeeded",
    "Data Source Run Failed",
    "Data Product Added To Catalog",
    "Data Product Publishing Failed",
    "Data Product Revised",
    "Subscribed Data Product Updated",
    "Project Membership Sync Failed",
    "Project Quick Sight Custom Connection Sync Failed",
)

# DataZone's user guide lists this one too, the EventBridge reference does not: not subscribed to until
# the reference has it.
USER_GUIDE_ONLY: tuple[str, ...] = ("Data Source Status Change",)

# The one sample DataZone publishes (user guide above, "Events via Amazon EventBridge default bus").
# Its detail.metadata carries the entity id and the domain; other detail-types have no published shape,
# so handlers take only detail.metadata.id and detail.metadata.domain and fetch the rest.
SUBSCRIPTION_REQUEST_CREATED_SAMPLE = {
    "version": "0",
    "id": "bd3d6239-2877-f464-0572-b1d76760e085",
    "detail-type": "Subscription Request Created",
    "source": "aws.datazone",
    "account": "111111111111",
    "time": "2023-11-13T17:57:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "version": "655",
        "metadata": {
            "domain": "dzd_bc8e1ez8r2a6xz",
            "user": "44f864b8-50a1-70cc-736f-c1f763934ab7",
            "id": "5jbc0lie0sr99j",
            "version": "1",
            "typeName": "SubscriptionRequestEntityType",
            "owningProjectId": "6oy92hwk937pgn",
            "awsAccountId": "111111111111",
            "clientToken": "e781b7b5-78c5-4608-961e-3792a6c3ff0d",
        },
        "data": {
            "autoApproved": True,
            "requesterId": "44f864b8-50a1-70cc-736f-c1f763934ab7",
            "status": "PENDING",
            "subscribedListings": [{"id": "ayzstznnx4dxyf", "ownerProjectId": "5a3se66qm88947", "version": "12"}],
            "subscribedPrincipals": [{"id": "6oy92hwk937pgn", "type": "PROJECT"}],
        },
    },
}

# CloudTrail's records of DataZone API calls, as the reference page says to match them.
CLOUDTRAIL_DETAIL_TYPE = API_CALL_DETAIL_TYPE
CLOUDTRAIL_EVENT_SOURCE = "datazone.amazonaws.com"


def service_event(detail_type: str) -> str:
    """`detail_type` if DataZone sends it to EventBridge; ValueError (at registration) if it does not."""
    if detail_type not in SERVICE_EVENTS:
        raise ValueError(f"DataZone sends no EventBridge event {detail_type!r} (see {REFERENCE_URL})")
    return detail_type


@cache
def api_operations() -> frozenset[str]:
    """DataZone's API actions, from botocore's service model: the values CloudTrail's eventName takes."""
    return frozenset(botocore.session.Session().get_service_model("datazone").operation_names)


def api_call(event_name: str) -> str:
    """`event_name` if DataZone's API has that action; ValueError (at registration) if it has not."""
    if event_name not in api_operations():
        raise ValueError(f"DataZone's API has no action {event_name!r}, so CloudTrail records none")
    return event_name
