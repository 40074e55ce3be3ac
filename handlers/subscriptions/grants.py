"""Subscriptions that exist (who has access to an asset, and since when), revoking them (the publisher's side) and
cancelling them (the subscriber's side), through DataZone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.aws import AwsClients, missing_means
from bot.errors import BadInput, Conflict, NotFound
from handlers.subscriptions.scopes import accepted_filter_ids

ASSET_ID = re.compile(r"^[a-zA-Z0-9_-]{1,36}$")
# SubscriptionStatus in botocore's DataZone model.
SUBSCRIPTION_STATUSES = ("APPROVED", "REVOKED", "CANCELLED")


@dataclass(frozen=True)
class Listing:
    """A published asset: its listing, name and owning project."""

    listing_id: str
    asset_name: str
    owner_project_id: str
    # The asset behind the listing, whose filters name a subscription's scope.
    asset_id: str | None = None


@dataclass(frozen=True)
class Subscription:
    """One subscription to a listing, with the state of its grants."""

    subscription_id: str
    request_id: str | None
    status: str
    asset_name: str
    listing_id: str
    owner_project_id: str
    subscriber: str
    since: datetime
    approved_by: str
    grant_status: str
    # The subscribing project, when a project subscribed (DataZone's principal is a union: project, user, group, IAM).
    subscriber_project_id: str | None = None
    # When DataZone last changed it: for a revoked or cancelled subscription, when it ended.
    updated_at: datetime | None = None
    owner_project_name: str | None = None
    # The asset filters the subscription was granted through, by id; empty for the whole asset.
    filter_ids: tuple[str, ...] = ()
    # The asset behind the listing, and the listing's metadata forms as DataZone gives them (one JSON string).
    asset_id: str | None = None
    listing_forms: Any = None


def _subscriber(principal: dict[str, Any]) -> str:
    if "project" in principal:
        return f"project {principal['project'].get('name') or principal['project'].get('id')}"
    if "user" in principal:
        return f"user {principal['user'].get('id')}"
    if "group" in principal:
        return f"group {principal['group'].get('name') or principal['group'].get('id')}"
    return "an IAM principal"


def _grant_status(grants: list[dict[str, Any]]) -> str:
    # A grant is only as good as its weakest asset: one failed asset means access is incomplete.
    statuses = {asset.get("status", "") for grant in grants for asset in grant.get("assets") or []}
    statuses |= {grant.get("status", "") for grant in grants if not grant.get("assets")}
    for worst in ("GRANT_FAILED", "REVOKE_FAILED", "GRANT_PENDING", "GRANT_IN_PROGRESS", "REVOKE_IN_PROGRESS"):
        if worst in statuses:
            return worst.lower().replace("_", " ")
    if "GRANTED" in statuses or "COMPLETED" in statuses:
        return "granted"
    return "no grant yet" if not statuses else ", ".join(sorted(s.lower() for s in statuses if s))


class GrantService:
    """Reads and revokes DataZone subscriptions."""

    def __init__(self, aws: AwsClients) -> None:
        self._aws = aws

    @property
    def _dz(self) -> Any:
        return self._aws.client("datazone")

    def listing(self, domain_id: str, asset: str) -> Listing:
        """The published listing of an asset given by id or exact name."""
        asset = asset.strip()
        if ASSET_ID.fullmatch(asset):
            try:
                found = self._dz.get_asset(domainIdentifier=domain_id, identifier=asset)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
            else:
                listing = found.get("listing") or {}
                if not listing.get("listingId"):
                    raise BadInput(f"Asset {found['name']} is not published, so nobody can subscribe to it.")
                return Listing(listing["listingId"], found["name"], found["owningProjectId"], found["id"])
        matches = [
            item["assetListing"]
            for page in self._dz.get_paginator("search_listings").paginate(domainIdentifier=domain_id, searchText=asset)
            for item in page.get("items") or []
            if "assetListing" in item and item["assetListing"].get("name") == asset
        ]
        if not matches:
            raise NotFound(f"No published asset with the id or name {asset!r}.")
        if len(matches) > 1:
            ids = ", ".join(m["entityId"] for m in matches)
            raise BadInput(f"Several published assets are called {asset!r}; give the asset id: {ids}.")
        match = matches[0]
        return Listing(match["listingId"], match["name"], match["owningProjectId"], match.get("entityId"))

    def active(self, domain_id: str, listing: Listing) -> list[Subscription]:
        """APPROVED subscriptions to the listing, oldest first, with their grant status."""
        grants: dict[str, list[dict[str, Any]]] = {}
        for page in self._dz.get_paginator("list_subscription_grants").paginate(
            domainIdentifier=domain_id, subscribedListingId=listing.listing_id
        ):
            for grant in page["items"]:
                grants.setdefault(grant["subscriptionId"], []).append(grant)
        found = []
        for page in self._dz.get_paginator("list_subscriptions").paginate(
            domainIdentifier=domain_id,
            subscribedListingId=listing.listing_id,
            status="APPROVED",
            sortBy="CREATED_AT",
            sortOrder="ASCENDING",
        ):
            found += [self._view(item, grants.get(item["id"], [])) for item in page["items"]]
        return found

    def get(self, domain_id: str, subscription_id: str) -> Subscription:
        """One subscription with its grant status."""
        with missing_means(f"No subscription {subscription_id} in domain {domain_id}."):
            item = self._dz.get_subscription(domainIdentifier=domain_id, identifier=subscription_id)
        grants = self._dz.list_subscription_grants(domainIdentifier=domain_id, subscriptionId=subscription_id)
        return self._view(item, grants["items"])

    def of_request(self, domain_id: str, request_id: str) -> str | None:
        """The id of the subscription an accepted request created."""
        items = self._dz.list_subscriptions(
            domainIdentifier=domain_id, subscriptionRequestIdentifier=request_id, status="APPROVED"
        )["items"]
        return items[0]["id"] if items else None

    def owned_by(self, domain_id: str, project_ids: list[str]) -> list[Subscription]:
        """Every subscription of these subscribing projects, whatever its status, without grant statuses.

        DataZone's `owningProjectId` filter is the subscriber's side (`approverProjectId` the publisher's); without
        a status it lists only APPROVED ones, so each status is asked for.
        """
        found = []
        for project_id in project_ids:
            for status in SUBSCRIPTION_STATUSES:
                for page in self._dz.get_paginator("list_subscriptions").paginate(
                    domainIdentifier=domain_id,
                    owningProjectId=project_id,
                    status=status,
                    PaginationConfig={"PageSize": 50},
                ):
                    found += [self._view(item, [], grants_read=False) for item in page["items"]]
        return found

    def approved(self, domain_id: str) -> list[Subscription]:
        """Every APPROVED subscription in the domain, oldest first, without grant statuses: what a review asks about."""
        found = []
        for page in self._dz.get_paginator("list_subscriptions").paginate(
            domainIdentifier=domain_id, status="APPROVED", sortBy="CREATED_AT", sortOrder="ASCENDING"
        ):
            found += [self._view(item, [], grants_read=False) for item in page["items"]]
        return found

    def cancel(self, domain_id: str, subscription_id: str) -> None:
        """End the subscription from the subscriber's side; Conflict if it is no longer active."""
        try:
            with missing_means(f"No subscription {subscription_id} in domain {domain_id}."):
                self._dz.cancel_subscription(domainIdentifier=domain_id, identifier=subscription_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConflictException":
                raise Conflict(f"Subscription {subscription_id} is no longer active.") from None
            raise

    def revoke(self, domain_id: str, subscription_id: str) -> None:
        """Revoke the subscription and its grants; Conflict if it is no longer active."""
        try:
            with missing_means(f"No subscription {subscription_id} in domain {domain_id}."):
                self._dz.revoke_subscription(
                    domainIdentifier=domain_id, identifier=subscription_id, retainPermissions=False
                )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConflictException":
                raise Conflict(f"Subscription {subscription_id} is no longer active.") from None
            raise

    @staticmethod
    def _view(item: dict[str, Any], grants: list[dict[str, Any]], *, grants_read: bool = True) -> Subscription:
        listing = item["subscribedListing"]
        principal = item["subscribedPrincipal"]
        asset = (listing.get("item") or {}).get("assetListing") or {}
        return Subscription(
            subscription_id=item["id"],
            request_id=item.get("subscriptionRequestId"),
            status=item["status"],
            asset_name=listing["name"],
            listing_id=listing["id"],
            owner_project_id=listing["ownerProjectId"],
            subscriber=_subscriber(principal),
            since=item["createdAt"],
            approved_by=item.get("createdBy") or "unknown",
            grant_status=_grant_status(grants) if grants_read else "not read",
            subscriber_project_id=(principal.get("project") or {}).get("id"),
            updated_at=item.get("updatedAt"),
            owner_project_name=listing.get("ownerProjectName"),
            filter_ids=accepted_filter_ids(listing),
            asset_id=asset.get("entityId"),
            listing_forms=asset.get("forms"),
        )
