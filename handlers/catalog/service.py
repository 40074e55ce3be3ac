"""The catalog for data consumers: search DataZone's listings, read one, see where you stand, ask for access."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bot.aws import REQUESTER_CONFIG, AwsClients
from bot.errors import BadInput, Conflict, NotFound
from bot.policy import Policy
from handlers.catalog.arguments import SearchArgs
from handlers.catalog.consumers import Memberships, Project
from handlers.catalog.listings import Listing, from_get_listing, from_search_item

# A search reads at most this many listings; past it, the reply asks for a narrower search.
MAX_RESULTS = 200
ID = re.compile(r"^[a-zA-Z0-9_-]{1,36}$")
# SearchListings' filter attribute names are not in the model (only the filter's shape is): a listing's own
# field names are used, a glossary term by its name and a form field as "FormName.field" (unverified).
TERMS_ATTRIBUTE = "glossaryTerms"
PROJECT_ATTRIBUTE = "owningProjectId"


@dataclass(frozen=True)
class Standing:
    """Where one of the caller's projects stands with a listing."""

    project: Project
    subscribed: bool
    pending_request: str | None


class CatalogService:
    """DataZone reads and the one write (CreateSubscriptionRequest) behind /catalog; no Slack."""

    def __init__(
        self, aws: AwsClients, policy: Policy, record: Callable[[str, str], None] = lambda _request, _user: None
    ) -> None:
        self._aws = aws
        self._policy = policy
        # Tells the subscriptions capability who asked (requesters.record_requester): DataZone's createdBy is the
        # bot or a role session, which the policy's `people` map cannot tie to the person.
        self._record = record

    @property
    def _dz(self) -> Any:
        return self._aws.client("datazone")

    def memberships(self) -> Memberships:
        """The caller-to-projects mapping, on the bot's own DataZone client."""
        return Memberships(self._dz, self._policy)

    def search(self, domain_id: str, args: SearchArgs) -> tuple[list[Listing], bool]:
        """Listings matching the text and filters, and whether more matched than were read."""
        request: dict[str, Any] = {"domainIdentifier": domain_id, "additionalAttributes": ["FORMS"]}
        if args.text:
            request["searchText"] = args.text
        filters = self._filters(domain_id, args)
        if filters:
            request["filters"] = filters[0] if len(filters) == 1 else {"and": filters}
        found: list[Listing] = []
        token = None
        while len(found) < MAX_RESULTS:
            page = self._dz.search_listings(**request, maxResults=50, **({"nextToken": token} if token else {}))
            found += [listing for item in page.get("items") or [] if (listing := from_search_item(item, self._policy))]
            token = page.get("nextToken")
            if not token:
                return found, False
        return found[:MAX_RESULTS], True

    def _filters(self, domain_id: str, args: SearchArgs) -> list[dict[str, Any]]:
        filters = []
        if args.term:
            filters.append({"filter": {"attribute": TERMS_ATTRIBUTE, "value": args.term, "operator": "TEXT_SEARCH"}})
        if args.classification:
            where = self._policy.subscriptions.classification
            attribute = f"{where.form}.{where.field}"
            value = args.classification.lower()
            filters.append({"filter": {"attribute": attribute, "value": value, "operator": "TEXT_SEARCH"}})
        if args.project:
            project = self.project_named(domain_id, args.project)
            filters.append({"filter": {"attribute": PROJECT_ATTRIBUTE, "value": project.id, "operator": "EQ"}})
        return filters

    def project_named(self, domain_id: str, name: str) -> Project:
        """The project with this exact name (or id); NotFound otherwise."""
        wanted = name.strip().lower()
        for page in self._dz.get_paginator("list_projects").paginate(domainIdentifier=domain_id):
            for project in page.get("items") or []:
                if wanted in (str(project.get("name", "")).lower(), project["id"].lower()):
                    return Project(project["id"], project.get("name") or project["id"])
        raise NotFound(f"No DataZone project is called `{name[:64]}`.")

    def project_name(self, domain_id: str, project_id: str) -> str:
        """A project's name, or its id when DataZone will not say."""
        try:
            return str(self._dz.get_project(domainIdentifier=domain_id, identifier=project_id).get("name"))
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("ResourceNotFoundException", "AccessDeniedException"):
                raise
            return project_id

    def listing(self, domain_id: str, asset: str) -> Listing:
        """The published listing of an asset (by asset id, listing id or exact name); NotFound otherwise."""
        if ID.fullmatch(asset):
            listing_id = self._listing_of_asset(domain_id, asset)
            if listing_id is not None:
                return self.by_listing_id(domain_id, listing_id)
        named = self._named(domain_id, asset)
        if len(named) == 1:
            return self.by_listing_id(domain_id, named[0].listing_id)
        if not named:
            raise NotFound(f"No published asset is called `{asset[:64]}` (an asset id or exact name).")
        # Names are unique only within a project: the person says which by the asset's id.
        which = "\n".join(
            f"• {self.project_name(domain_id, found.owner_project_id)}: `{found.asset_id}`" for found in named
        )
        raise BadInput(f"Several projects publish an asset called `{asset[:64]}`; use its asset id instead:\n{which}")

    def _named(self, domain_id: str, name: str) -> list[Listing]:
        # Every listing with exactly this name among the first MAX_RESULTS the search finds (as search() reads).
        named: dict[str, Listing] = {}
        read, token = 0, None
        while read < MAX_RESULTS:
            extra = {"nextToken": token} if token else {}
            page = self._dz.search_listings(domainIdentifier=domain_id, searchText=name, maxResults=50, **extra)
            items = page.get("items") or []
            read += len(items)
            for item in items:
                found = from_search_item(item, self._policy)
                if found is not None and found.name == name:
                    named.setdefault(found.listing_id, found)
            token = page.get("nextToken")
            if not token:
                break
        return list(named.values())

    def _listing_of_asset(self, domain_id: str, identifier: str) -> str | None:
        try:
            asset = self._dz.get_asset(domainIdentifier=domain_id, identifier=identifier)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("ResourceNotFoundException", "ValidationException"):
                raise
            # Not an asset: perhaps a listing id (portal links name either).
            return identifier if self._is_listing(domain_id, identifier) else None
        listing = asset.get("listing") or {}
        if not listing.get("listingId") or listing.get("listingStatus") not in ("ACTIVE", None):
            raise NotFound(f"`{asset.get('name', identifier)}` is not published in the catalog.")
        return str(listing["listingId"])

    def _is_listing(self, domain_id: str, identifier: str) -> bool:
        try:
            self._dz.get_listing(domainIdentifier=domain_id, identifier=identifier)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("ResourceNotFoundException", "ValidationException"):
                raise
            return False
        return True

    def by_listing_id(self, domain_id: str, listing_id: str) -> Listing:
        """GetListing, as /catalog shows it; NotFound for a listing gone or not an asset."""
        try:
            raw = self._dz.get_listing(domainIdentifier=domain_id, identifier=listing_id)
        except ClientError as exc:
            # A bogus id (pasted, or a stale button) is a ValidationException: just as gone, to the person.
            if exc.response["Error"]["Code"] not in ("ResourceNotFoundException", "ValidationException"):
                raise
            raise NotFound("That listing is no longer in the catalog.") from None
        listing = from_get_listing(raw, self._policy)
        if listing is None or raw.get("status") not in ("ACTIVE", None):
            raise NotFound(f"`{raw.get('name', listing_id)}` is not an active asset listing in the catalog.")
        return listing

    def standing(self, domain_id: str, listing: Listing, projects: list[Project]) -> list[Standing]:
        """For each project: subscribed already, or with a pending request, or neither."""
        found = []
        for project in projects:
            common = {"domainIdentifier": domain_id, "subscribedListingId": listing.listing_id}
            subscribed = self._dz.list_subscriptions(
                **common, owningProjectId=project.id, status="APPROVED", maxResults=1
            )
            pending = self._dz.list_subscription_requests(
                **common, owningProjectId=project.id, status="PENDING", maxResults=1
            )
            items = pending.get("items") or []
            found.append(Standing(project, bool(subscribed.get("items")), items[0]["id"] if items else None))
        return found

    def request(self, domain_id: str, listing: Listing, project: Project, reason: str, slack_user: str) -> str:
        """CreateSubscriptionRequest for `project`: as the requester's own role when the policy gives one (with
        SourceIdentity = their Slack id), otherwise as the bot with the reason naming them. Conflict when the
        project already has the access or a request pending."""
        (standing,) = self.standing(domain_id, listing, [project])
        if standing.subscribed:
            raise Conflict(f"{project.name} already has access to {listing.name}.")
        if standing.pending_request:
            raise Conflict(
                f"{project.name} already asked for {listing.name}: request `{standing.pending_request}` is pending."
            )
        role = self._policy.subscriptions.requester_roles.get(slack_user)
        if role is None:
            client = self._dz
            reason = f"{reason}\n(asked in Slack by Slack user {slack_user})"
        else:
            client = self._aws.client_as("datazone", role, f"opsbot-{slack_user}", slack_user, REQUESTER_CONFIG)
        created = client.create_subscription_request(
            domainIdentifier=domain_id,
            subscribedPrincipals=[{"project": {"identifier": project.id}}],
            subscribedListings=[{"identifier": listing.listing_id}],
            requestReason=reason[:4096],
        )
        request_id = str(created["id"])
        self._record(request_id, slack_user)
        return request_id
