"""Subscription requests in DataZone: what one is about, what the policy says, and deciding it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.aws import AwsClients, missing_means
from bot.errors import Conflict, NotFound
from bot.policy import Policy
from handlers.subscriptions.policy import Verdict, evaluate
from handlers.subscriptions.scopes import AssetFilter, accepted_filter_ids, asset_filters, names_of

# The session opsbot names when it decides as an approver's own role (see _deciding_client).
_OWN_SESSION = re.compile(r":assumed-role/([^/]+)/opsbot-([UW][A-Z0-9]{2,})$")
# DataZone's limit on decisionComment.
MAX_COMMENT = 4096


@dataclass(frozen=True)
class RequestView:
    """A subscription request with what an approver needs to decide it."""

    domain_id: str
    request_id: str
    status: str
    reason: str
    created_at: datetime
    asset_id: str | None
    asset_name: str
    listing_id: str
    owner_project_id: str
    owner_project_name: str
    requester: str
    requester_slack: str | None
    glossary_terms: tuple[str, ...]
    verdict: Verdict
    reviewer: str | None
    decision_comment: str | None
    decided_at: datetime | None = None
    # The names of the filters an accepted request granted; empty for the whole asset (and before a decision).
    scope: tuple[str, ...] = ()


def listing_forms(raw: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    # The subscribed listing carries its forms as one JSON string, {form name: content}; content may
    # itself be a JSON string. Anything unreadable is reported, so the request goes to a human.
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}, ["the listing's metadata forms are unreadable"]
    if not isinstance(document, dict):
        return {}, [] if document is None else ["the listing's metadata forms are unreadable"]
    forms, problems = {}, []
    for name, content in document.items():
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except ValueError:
                content = None
        if isinstance(content, dict):
            forms[str(name)] = content
        else:
            problems.append(f"form {name} has unreadable content")
    return forms, problems


def _identities(profile: dict[str, Any]) -> tuple[str, ...]:
    # Everything the policy's `people` map may name a DataZone user by.
    details = profile.get("details") or {}
    iam, sso = details.get("iam") or {}, details.get("sso") or {}
    found = (profile.get("id"), sso.get("username"), iam.get("arn"))
    return tuple(value for value in found if isinstance(value, str) and value)


def _person(profile: dict[str, Any]) -> str:
    # An assumed-role session reads as "maria (MarketingAnalyst)"; an SSO user by their user name.
    details = profile.get("details") or {}
    iam, sso = details.get("iam") or {}, details.get("sso") or {}
    if sso.get("username"):
        return str(sso["username"])
    arn = str(iam.get("arn") or "")
    if ":assumed-role/" in arn:
        role, _, session = arn.split(":assumed-role/", 1)[1].partition("/")
        return f"{session} ({role})" if session else role
    return arn.rsplit("/", 1)[-1] if arn else str(profile.get("id") or "unknown user")


def _requester(principals: list[dict[str, Any]]) -> str:
    principal = principals[0] if principals else {}
    if "project" in principal:
        return f"project {principal['project'].get('name') or principal['project'].get('id')}"
    if "user" in principal:
        details = principal["user"].get("details") or {}
        iam, sso = details.get("iam") or {}, details.get("sso") or {}
        return sso.get("username") or iam.get("arn") or f"user {principal['user'].get('id')}"
    if "group" in principal:
        return f"group {principal['group'].get('name') or principal['group'].get('id')}"
    if "iam" in principal:
        return principal["iam"].get("principalArn", "an IAM principal")
    return "unknown requester"


@dataclass(frozen=True)
class PendingSummary:
    """One line of an approver's queue, from the list call alone."""

    request_id: str
    asset_name: str
    owner_project_name: str
    requester: str
    created_at: datetime
    owner_project_id: str


@dataclass(frozen=True)
class ConsumerRequest:
    """One request of a subscribing project, as the list call gives it: what a consumer sees of their own."""

    request_id: str
    status: str
    asset_name: str
    owner_project_name: str
    project_id: str
    project_name: str
    created_at: datetime
    reviewer: str | None
    decided_at: datetime | None


# SubscriptionRequestStatus in botocore's DataZone model; without a status DataZone lists only PENDING ones.
REQUEST_STATUSES = ("PENDING", "ACCEPTED", "REJECTED")


class SubscriptionService:
    """Reads and decides subscription requests through the DataZone API."""

    def __init__(
        self, aws: AwsClients, policy: Policy, recorded: Callable[[str], str | None] = lambda _request_id: None
    ) -> None:
        self._aws = aws
        self._policy = policy
        # Who the bot recorded as asking for a request it made for them (requesters.recorded_requester).
        self._recorded = recorded

    @property
    def _dz(self) -> Any:
        # Resolved on use, so start-up never needs AWS; AwsClients keeps one client.
        return self._aws.client("datazone")

    def load(self, domain_id: str, request_id: str) -> RequestView:
        """The request with its listing, requester and the policy's verdict."""
        with missing_means(f"No subscription request {request_id} in domain {domain_id}."):
            detail = self._dz.get_subscription_request_details(domainIdentifier=domain_id, identifier=request_id)
        listing = detail["subscribedListings"][0]
        asset = (listing.get("item") or {}).get("assetListing") or {}
        forms, problems = listing_forms(asset.get("forms"))
        profile = self._profile(domain_id, detail.get("createdBy"))
        principal = _requester(detail["subscribedPrincipals"])
        granted = accepted_filter_ids(listing)
        scope = names_of(self.filters(domain_id, asset.get("entityId"), valid_only=False), granted) if granted else ()
        return RequestView(
            domain_id=domain_id,
            request_id=request_id,
            status=detail["status"],
            reason=detail["requestReason"],
            created_at=detail["createdAt"],
            asset_id=asset.get("entityId"),
            asset_name=listing["name"],
            listing_id=listing["id"],
            owner_project_id=listing["ownerProjectId"],
            owner_project_name=listing.get("ownerProjectName") or listing["ownerProjectId"],
            requester=f"{_person(profile)} for {principal}" if profile else principal,
            requester_slack=self._requester_slack(request_id, detail.get("createdBy"), profile),
            glossary_terms=tuple(t["name"] for t in asset.get("glossaryTerms") or [] if t.get("name")),
            verdict=evaluate(self._policy.subscriptions, forms, problems),
            reviewer=detail.get("reviewerId"),
            decision_comment=detail.get("decisionComment"),
            # A decided request was last updated by its decision.
            decided_at=detail.get("updatedAt") if detail["status"] != "PENDING" else None,
            scope=scope,
        )

    def requester_of(self, domain_id: str, request_id: str) -> str | None:
        """The Slack user who asked for a request, as `load` tells it, without reading the rest; None when nobody
        can be told (the request is gone, or its creator is in no `people` map)."""
        recorded = self._recorded(request_id)
        if recorded:
            return recorded
        try:
            with missing_means(f"No subscription request {request_id} in domain {domain_id}."):
                detail = self._dz.get_subscription_request_details(domainIdentifier=domain_id, identifier=request_id)
        except NotFound:
            return None
        created_by = detail.get("createdBy")
        return self._requester_slack(request_id, created_by, self._profile(domain_id, created_by))

    def filters(self, domain_id: str, asset_id: str | None, *, valid_only: bool = True) -> list[AssetFilter]:
        """The asset's filters an approval may grant (all of them with `valid_only=False`); none for no asset."""
        return asset_filters(self._dz, domain_id, asset_id, valid_only=valid_only) if asset_id else []

    def _requester_slack(self, request_id: str, created_by: Any, profile: dict[str, Any]) -> str | None:
        # The bot's own record first: a request /catalog made was created by the bot or by a session on the
        # requester's role, neither of which the `people` map names. The reason text is never trusted.
        recorded = self._recorded(request_id)
        if recorded:
            return recorded
        for identity in (created_by, *_identities(profile)):
            own = _OWN_SESSION.search(identity) if isinstance(identity, str) else None
            if own and self._is_own_session(own.group(1), own.group(2), self._policy.subscriptions.requester_roles):
                return own.group(2)
        return self._policy.slack_user_for(_identities(profile))

    def person(self, domain_id: str, user_id: str | None) -> tuple[str | None, str | None]:
        """A DataZone user (a reviewer) as a name to show and the Slack user the policy's `people` map gives them."""
        if not user_id:
            return None, None
        own = _OWN_SESSION.search(user_id)
        if own and self._is_own_session(own.group(1), own.group(2), self._policy.subscriptions.approver_roles):
            return None, own.group(2)  # opsbot decided as this approver's role, naming the session after them
        if user_id.startswith("arn:aws:sts:"):
            # User profiles are keyed by IAM ARNs, not STS sessions: the session's ARN names the person itself.
            profile: dict[str, Any] = {"id": user_id, "details": {"iam": {"arn": user_id}}}
        else:
            profile = self._profile(domain_id, user_id)
        return _person(profile), self._policy.slack_user_for((user_id, *_identities(profile)))

    @staticmethod
    def _is_own_session(role_name: str, slack_user: str, roles: Mapping[str, str]) -> bool:
        """The session is the one opsbot opens for `slack_user`: on that person's own role in `roles` (the policy's
        approver or requester roles), not any role.

        Whoever assumes a role names the session, so the name alone proves nothing: someone deciding in the portal
        under a session called opsbot-<admin> must not be shown as that admin.
        """
        role = roles.get(slack_user)
        return role is not None and role.rsplit("/", 1)[-1] == role_name

    def reviewer(self, domain_id: str, user_id: str | None) -> str:
        """Who decided, as Slack shows them: a mention when the policy's `people` map knows them, else their name."""
        name, slack_user = self.person(domain_id, user_id)
        return f"<@{slack_user}>" if slack_user else (name or "someone in DataZone")

    def _profile(self, domain_id: str, user_id: Any) -> dict[str, Any]:
        # The human behind a request; without the profile the card still shows the requesting principal.
        if not isinstance(user_id, str) or not user_id:
            return {}
        try:
            return self._dz.get_user_profile(domainIdentifier=domain_id, userIdentifier=user_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in (
                "ResourceNotFoundException",
                "AccessDeniedException",
                "ValidationException",  # an identifier DataZone keeps no profile under
            ):
                raise
            return {"id": user_id}

    def pending(self, domain_id: str, approver_projects: list[str] | None) -> list[PendingSummary]:
        """PENDING requests, oldest first: for these approver projects, or all when None (admins)."""
        paginator = self._dz.get_paginator("list_subscription_requests")
        filters = [{}] if approver_projects is None else [{"approverProjectId": p} for p in approver_projects]
        summaries = []
        for extra in filters:
            for page in paginator.paginate(
                domainIdentifier=domain_id,
                status="PENDING",
                sortBy="CREATED_AT",
                sortOrder="ASCENDING",
                PaginationConfig={"PageSize": 50},
                **extra,
            ):
                for item in page["items"]:
                    listing = item["subscribedListings"][0]
                    summaries.append(
                        PendingSummary(
                            item["id"],
                            listing["name"],
                            listing.get("ownerProjectName") or listing["ownerProjectId"],
                            _requester(item["subscribedPrincipals"]),
                            item["createdAt"],
                            listing["ownerProjectId"],
                        )
                    )
        return sorted(summaries, key=lambda s: s.created_at)

    def member_projects(self, domain_id: str, slack_user: str) -> dict[str, str]:
        """The DataZone projects (id -> name) that have the Slack user among their members, any designation.

        A member is a DataZone user whom the policy's `people` map ties to `slack_user`: DataZone's user guide has
        any member of a project unsubscribe from its assets. Group members are not followed (the map names users).
        """
        known = set(self._policy.people.get(slack_user, ()))
        if not known:
            return {}
        profiles: dict[str, bool] = {}

        def is_them(user_id: str) -> bool:
            if user_id not in profiles:
                identities = (user_id,) if user_id in known else _identities(self._profile(domain_id, user_id))
                profiles[user_id] = bool(known.intersection(identities))
            return profiles[user_id]

        found = {}
        for page in self._dz.get_paginator("list_projects").paginate(domainIdentifier=domain_id):
            for project in page.get("items") or []:
                for members in self._dz.get_paginator("list_project_memberships").paginate(
                    domainIdentifier=domain_id, projectIdentifier=project["id"]
                ):
                    users = [(m.get("memberDetails") or {}).get("user") or {} for m in members["members"]]
                    if any(user.get("userId") and is_them(user["userId"]) for user in users):
                        found[project["id"]] = project.get("name") or project["id"]
                        break
        return found

    def requested_by(self, domain_id: str, projects: dict[str, str]) -> list[ConsumerRequest]:
        """Every request of these subscribing projects (id -> name), whatever its status.

        `owningProjectId` is the requesting project's side of ListSubscriptionRequests (`approverProjectId` the
        publisher's); each status is asked for, as DataZone lists only PENDING ones without one.
        """
        found = []
        for project_id, project_name in projects.items():
            for status in REQUEST_STATUSES:
                for page in self._dz.get_paginator("list_subscription_requests").paginate(
                    domainIdentifier=domain_id,
                    owningProjectId=project_id,
                    status=status,
                    PaginationConfig={"PageSize": 50},
                ):
                    for item in page["items"]:
                        listing = item["subscribedListings"][0]
                        found.append(
                            ConsumerRequest(
                                request_id=item["id"],
                                status=item["status"],
                                asset_name=listing["name"],
                                owner_project_name=listing.get("ownerProjectName") or listing["ownerProjectId"],
                                project_id=project_id,
                                project_name=project_name,
                                created_at=item["createdAt"],
                                reviewer=item.get("reviewerId"),
                                # A decided request was last updated by its decision.
                                decided_at=item.get("updatedAt") if item["status"] != "PENDING" else None,
                            )
                        )
        return found

    def accept(
        self, view: RequestView, comment: str, as_user: str | None = None, filter_ids: tuple[str, ...] = ()
    ) -> None:
        """Accept in DataZone (as the Slack user's own role, when the policy maps one), granting only `filter_ids`
        of the asset when given; Conflict if decided first."""
        scope = {"assetScopes": [{"assetId": view.asset_id, "filterIds": list(filter_ids)}]} if filter_ids else {}
        self._decide(self._deciding_client(as_user).accept_subscription_request, view, comment, **scope)

    def reject(self, view: RequestView, comment: str, as_user: str | None = None) -> None:
        """Reject in DataZone (as the Slack user's own role, when the policy maps one); Conflict if decided first."""
        self._decide(self._deciding_client(as_user).reject_subscription_request, view, comment)

    def _deciding_client(self, user_id: str | None) -> Any:
        role = self._policy.subscriptions.approver_roles.get(user_id or "")
        if role is None:
            return self._dz
        return self._aws.client_as("datazone", role, f"opsbot-{user_id}", str(user_id))

    def _decide(self, call: Any, view: RequestView, comment: str, **scope: Any) -> None:
        try:
            call(
                domainIdentifier=view.domain_id,
                identifier=view.request_id,
                decisionComment=comment[:MAX_COMMENT],
                **scope,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConflictException":
                raise
            current = self.load(view.domain_id, view.request_id)
            by = f" by {self.reviewer(view.domain_id, current.reviewer)}" if current.reviewer else ""
            raise Conflict(f"This request was already {current.status.lower()} in DataZone{by}.") from None
