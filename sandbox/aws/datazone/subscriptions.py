"""Emulated DataZone subscriptions: requests and their decisions, subscriptions, grants."""

from __future__ import annotations

import copy
import json
from typing import Any

from sandbox.aws.datazone import events
from sandbox.aws.datazone.filters import scope_of
from sandbox.aws.datazone.state import Domain, Record, State, find, paged, stamp
from sandbox.aws.restjson import ApiError, conflict, validation


def _sorted(records: list[Record], sort_by: str | None, order: str | None) -> list[Record]:
    key = "updatedAt" if sort_by == "UPDATED_AT" else "createdAt"
    return sorted(records, key=lambda r: r[key], reverse=order == "DESCENDING")


def _principal_project(principal: Record) -> str | None:
    return (principal.get("project") or {}).get("id")


def _scope(listing: Record) -> Record:
    # A granted asset carries the scope it was granted with (SubscribedAsset.assetScope), when there is one.
    scope = listing["item"]["assetListing"].get("assetScope")
    return {"assetScope": dict(scope)} if scope else {}


class SubscriptionHandlers:
    """Subscription requests (create, list, get, accept, reject), subscriptions (list, get, revoke), grants."""

    def __init__(self, state: State) -> None:
        self.state = state

    def _subscribed_listing(self, domain: Domain, listing_id: str) -> Record:
        listing = find(domain.listings, listing_id, "Listing")
        if listing["status"] == "INACTIVE":
            raise validation(f"Listing {listing_id} is not published")
        asset = domain.assets[listing["_assetId"]]
        owner = domain.projects.get(asset["owningProjectId"], {})
        forms = {f["formName"]: json.loads(f["content"]) for f in asset["formsOutput"]}
        return {
            "id": listing["id"],
            "revision": listing["listingRevision"],
            "name": listing["name"],
            "description": listing.get("description") or "",
            "ownerProjectId": asset["owningProjectId"],
            "ownerProjectName": owner.get("name"),
            "item": {
                "assetListing": {
                    "entityId": asset["id"],
                    "entityRevision": asset["revision"],
                    "entityType": asset["typeIdentifier"],
                    "forms": json.dumps(forms),
                    "glossaryTerms": [
                        {"name": domain.terms[t]["name"]} for t in asset["glossaryTerms"] if t in domain.terms
                    ],
                }
            },
        }

    def _principal(self, domain: Domain, principal: Record) -> Record:
        if "project" in principal:
            project = find(domain.projects, principal["project"]["identifier"], "Project")
            return {"project": {"id": project["id"], "name": project["name"]}}
        if "user" in principal:
            user = find(domain.users, principal["user"]["identifier"], "User profile")
            return {"user": {"id": user["id"], "details": user.get("details")}}
        if "group" in principal:
            return {"group": {"id": principal["group"]["identifier"], "name": principal["group"]["identifier"]}}
        if "iam" in principal:
            return {"iam": {"principalArn": principal["iam"]["identifier"]}}
        raise validation("subscribedPrincipals entries need project, user, group or iam")

    def create_subscription_request(
        self,
        domainIdentifier: str,
        subscribedPrincipals: list[Record],
        subscribedListings: list[Record],
        requestReason: str,
        **kw: Any,
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        if not subscribedPrincipals or not subscribedListings:
            raise validation("a request needs at least one principal and one listing")
        request = stamp(
            self.state,
            {
                "id": self.state.new_id(),
                "domainId": domain.id,
                "status": "PENDING",
                "requestReason": requestReason,
                "subscribedPrincipals": [self._principal(domain, p) for p in subscribedPrincipals],
                "subscribedListings": [self._subscribed_listing(domain, s["identifier"]) for s in subscribedListings],
                "metadataForms": [
                    {"formName": f["formName"], "typeName": f.get("typeIdentifier"), "content": f.get("content")}
                    for f in kw.get("metadataForms") or []
                ]
                or None,
            },
            created=True,
        )
        domain.requests[request["id"]] = request
        events.subscription_request(
            self.state, domain, request, "Subscription Request Created", clientToken=kw.get("clientToken")
        )
        return request

    def list_subscription_requests(self, domainIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        # Without a status DataZone lists only PENDING requests.
        status = kw.get("status") or "PENDING"
        items = []
        for request in domain.requests.values():
            owners = {listing["ownerProjectId"] for listing in request["subscribedListings"]}
            requesters = {_principal_project(p) for p in request["subscribedPrincipals"]}
            if request["status"] != status:
                continue
            if kw.get("approverProjectId") and kw["approverProjectId"] not in owners:
                continue
            if kw.get("owningProjectId") and kw["owningProjectId"] not in requesters:
                continue
            if kw.get("subscribedListingId") and kw["subscribedListingId"] not in {
                s["id"] for s in request["subscribedListings"]
            }:
                continue
            items.append(request)
        items = _sorted(items, kw.get("sortBy"), kw.get("sortOrder"))
        return paged("items", items, kw.get("maxResults"), kw.get("nextToken"))

    def get_subscription_request_details(self, domainIdentifier: str, identifier: str) -> Record:
        return find(self.state.domain(domainIdentifier).requests, identifier, "Subscription request")

    def _decide(
        self, domain_id: str, identifier: str, status: str, comment: str | None, scopes: list[Record] | None = None
    ) -> Record:
        domain = self.state.domain(domain_id)
        request = find(domain.requests, identifier, "Subscription request")
        if request["status"] != "PENDING":
            raise conflict(f"Subscription request {identifier} is already {request['status']}")
        # Checked before anything changes: a refused scope leaves the request pending. The accepted scope rides on
        # the subscribed listing (SubscribedAssetListing.assetScope), which the subscription copies.
        accepted = [(listing, scope_of(domain, listing, scopes)) for listing in request["subscribedListings"]]
        for listing, scope in accepted:
            if scope is not None:
                listing["item"]["assetListing"]["assetScope"] = scope
        request.update(status=status, reviewerId=self.state.caller, decisionComment=comment)
        stamp(self.state, request)
        # Accepted and Rejected carry the Created sample's shape with the new status (unverified: not published).
        events.subscription_request(self.state, domain, request, f"Subscription Request {status.title()}")
        return request

    def accept_subscription_request(self, domainIdentifier: str, identifier: str, **kw: Any) -> Record:
        request = self._decide(
            domainIdentifier, identifier, "ACCEPTED", kw.get("decisionComment"), kw.get("assetScopes")
        )
        domain = self.state.domain(domainIdentifier)
        for principal in request["subscribedPrincipals"]:
            for listing in request["subscribedListings"]:
                subscription = stamp(
                    self.state,
                    {
                        "id": self.state.new_id(),
                        "domainId": domain.id,
                        "status": "APPROVED",
                        "subscribedPrincipal": principal,
                        "subscribedListing": copy.deepcopy(listing),
                        "subscriptionRequestId": request["id"],
                        "retainPermissions": False,
                    },
                    created=True,
                )
                request["existingSubscriptionId"] = subscription["id"]
                domain.subscriptions[subscription["id"]] = subscription
                events.subscription(self.state, domain, subscription, "Subscription Created")
                target = f"target-{_principal_project(principal) or 'principal'}"
                grant = stamp(
                    self.state,
                    {
                        "id": self.state.new_id(),
                        "domainId": domain.id,
                        "subscriptionTargetId": target,
                        "grantedEntity": {"listing": {"id": listing["id"], "revision": listing["revision"]}},
                        "status": "COMPLETED",
                        "subscriptionId": subscription["id"],
                        "assets": [
                            {
                                "assetId": listing["item"]["assetListing"]["entityId"],
                                "assetRevision": listing["item"]["assetListing"]["entityRevision"],
                                "status": "GRANTED",
                                "grantedTimestamp": self.state.now(),
                                **_scope(listing),
                            }
                        ],
                    },
                    created=True,
                )
                domain.grants[grant["id"]] = grant
                # The emulator fulfils a grant at once: requested and completed together.
                for detail_type in ("Subscription Grant Requested", "Subscription Grant Completed"):
                    events.minimal(self.state, domain, grant, grant["id"], detail_type)
        return request

    def reject_subscription_request(self, domainIdentifier: str, identifier: str, **kw: Any) -> Record:
        return self._decide(domainIdentifier, identifier, "REJECTED", kw.get("decisionComment"))

    def list_subscriptions(self, domainIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        # Without a status DataZone lists only APPROVED subscriptions (botocore's model, ListSubscriptionsInput.status).
        status = kw.get("status") or "APPROVED"
        items = []
        for subscription in domain.subscriptions.values():
            if subscription["status"] != status:
                continue
            if kw.get("subscribedListingId") and subscription["subscribedListing"]["id"] != kw["subscribedListingId"]:
                continue
            if (
                kw.get("approverProjectId")
                and subscription["subscribedListing"]["ownerProjectId"] != kw["approverProjectId"]
            ):
                continue
            if (
                kw.get("owningProjectId")
                and _principal_project(subscription["subscribedPrincipal"]) != kw["owningProjectId"]
            ):
                continue
            if (
                kw.get("subscriptionRequestIdentifier")
                and subscription["subscriptionRequestId"] != kw["subscriptionRequestIdentifier"]
            ):
                continue
            items.append(subscription)
        items = _sorted(items, kw.get("sortBy"), kw.get("sortOrder"))
        return paged("items", items, kw.get("maxResults"), kw.get("nextToken"))

    def get_subscription(self, domainIdentifier: str, identifier: str) -> Record:
        return find(self.state.domain(domainIdentifier).subscriptions, identifier, "Subscription")

    def revoke_subscription(self, domainIdentifier: str, identifier: str, retainPermissions: bool = False) -> Record:
        domain = self.state.domain(domainIdentifier)
        subscription = find(domain.subscriptions, identifier, "Subscription")
        if subscription["status"] != "APPROVED":
            raise conflict(f"Subscription {identifier} is {subscription['status']}")
        subscription.update(status="REVOKED", retainPermissions=retainPermissions)
        stamp(self.state, subscription)
        events.subscription(self.state, domain, subscription, "Subscription Revoked")
        if not retainPermissions:
            self._revoke_grants(domain, identifier)
        return subscription

    def cancel_subscription(self, domainIdentifier: str, identifier: str) -> Record:
        domain = self.state.domain(domainIdentifier)
        subscription = find(domain.subscriptions, identifier, "Subscription")
        self._may_unsubscribe(domain, subscription)
        if subscription["status"] != "APPROVED":
            raise conflict(f"Subscription {identifier} is {subscription['status']}")
        subscription["status"] = "CANCELLED"
        stamp(self.state, subscription)
        events.subscription(self.state, domain, subscription, "Subscription Cancelled")
        if not subscription.get("retainPermissions"):
            self._revoke_grants(domain, identifier)
        return subscription

    def _may_unsubscribe(self, domain: Domain, subscription: Record) -> None:
        """Cancelling is the subscriber's side: DataZone's user guide ("Unsubscribe from an asset in Amazon
        DataZone", userguide/unsubscribe-from-subscription.html) says "You must be a member of a project in order to
        unsubscribe from one of its assets". A subscribed user may end their own; group and IAM principals are not
        checked (unpublished)."""
        principal, caller = subscription["subscribedPrincipal"], self.state.caller
        project = _principal_project(principal)
        if project is not None:
            memberships = domain.memberships.get(project, [])
            members = {(m["memberDetails"].get("user") or {}).get("userId") for m in memberships}
            if caller not in members:
                raise ApiError("AccessDeniedException", f"{caller} is not a member of project {project}")
        elif "user" in principal and principal["user"].get("id") != caller:
            raise ApiError("AccessDeniedException", f"{caller} is not the subscribed user")

    def _revoke_grants(self, domain: Domain, subscription_id: str) -> None:
        for grant in domain.grants.values():
            if grant["subscriptionId"] != subscription_id:
                continue
            for asset in grant["assets"]:
                asset["status"] = "REVOKED"
            stamp(self.state, grant)
            for detail_type in ("Subscription Grant Revoke Requested", "Subscription Grant Revoke Completed"):
                events.minimal(self.state, domain, grant, grant["id"], detail_type)

    def delete_subscription_request(self, domainIdentifier: str, identifier: str) -> None:
        domain = self.state.domain(domainIdentifier)
        request = find(domain.requests, identifier, "Subscription request")
        del domain.requests[identifier]
        events.subscription_request(self.state, domain, request, "Subscription Request Deleted")

    def list_subscription_grants(self, domainIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        items = [
            g
            for g in domain.grants.values()
            if (not kw.get("subscriptionId") or g["subscriptionId"] == kw["subscriptionId"])
            and (not kw.get("subscribedListingId") or g["grantedEntity"]["listing"]["id"] == kw["subscribedListingId"])
        ]
        items = _sorted(items, kw.get("sortBy"), kw.get("sortOrder"))
        return paged("items", items, kw.get("maxResults"), kw.get("nextToken"))
