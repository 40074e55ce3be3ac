"""Assets in DataZone: what a publish would put in the catalog, and publishing or unpublishing it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bot.aws import AwsClients, missing_means
from bot.errors import BadInput, Conflict, NotFound
from bot.policy import PublishingPolicy

ASSET_ID = re.compile(r"^[a-zA-Z0-9_-]{1,36}$")
# Listing statuses that end a publish.
SETTLED = ("ACTIVE", "FAILED", "INACTIVE")


@dataclass(frozen=True)
class Preview:
    """What a publish of one asset would put in the catalog, and what stops it."""

    domain_id: str
    asset_id: str
    name: str
    type_name: str
    owner_project_id: str
    owner_project_name: str
    forms: tuple[str, ...]
    missing: tuple[str, ...]
    glossary_terms: tuple[str, ...]
    quality: float | None
    listing_status: str | None
    listing_id: str | None


def _form_content(form: dict[str, Any]) -> dict[str, Any]:
    try:
        content = json.loads(form.get("content") or "{}")
    except ValueError:
        return {}
    return content if isinstance(content, dict) else {}


def missing_metadata(
    forms: dict[str, dict[str, Any]], required_forms: list[str], policy: PublishingPolicy
) -> tuple[str, ...]:
    """Required forms absent from the asset, then the policy's business metadata fields left empty."""
    missing = [f"form {name}" for name in required_forms if name not in forms]
    content = forms.get(policy.metadata_form)
    if policy.required_metadata and content is None:
        # One line for an absent form, not one per field it would hold.
        fields = ", ".join(policy.required_metadata)
        missing = [m for m in missing if m != f"form {policy.metadata_form}"]
        missing.append(f"form {policy.metadata_form} ({fields})")
    for field in policy.required_metadata if content is not None else ():
        value = content.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(f"{policy.metadata_form}.{field}")
    return tuple(missing)


class CatalogService:
    """Resolves, previews, publishes and unpublishes assets."""

    def __init__(self, aws: AwsClients, policy: PublishingPolicy, sleep: Callable[[float], None] = time.sleep) -> None:
        self._aws = aws
        self._policy = policy
        self._sleep = sleep

    @property
    def _dz(self) -> Any:
        return self._aws.client("datazone")

    def find(self, domain_id: str, asset: str) -> dict[str, Any]:
        """The asset given by id or exact name (published or not), as get_asset returns it."""
        asset = asset.strip()
        if ASSET_ID.fullmatch(asset):
            try:
                return self._dz.get_asset(domainIdentifier=domain_id, identifier=asset)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
        # Inventory assets are not listings, so search_listings would not see them: search the inventory.
        matches = [
            item["assetItem"]
            for page in self._dz.get_paginator("search").paginate(
                domainIdentifier=domain_id, searchScope="ASSET", searchText=asset
            )
            for item in page.get("items") or []
            if "assetItem" in item and item["assetItem"].get("name") == asset
        ]
        if not matches:
            raise NotFound(f"No asset with the id or name {asset!r}.")
        if len(matches) > 1:
            ids = ", ".join(m["identifier"] for m in matches)
            raise BadInput(f"Several assets are called {asset!r}; give the asset id: {ids}.")
        return self._dz.get_asset(domainIdentifier=domain_id, identifier=matches[0]["identifier"])

    def preview(self, domain_id: str, asset: str) -> Preview:
        """The asset's governance preview."""
        found = self.find(domain_id, asset)
        forms = {f["formName"]: _form_content(f) for f in found.get("formsOutput") or []}
        required = self._required_forms(domain_id, found["typeIdentifier"], found.get("typeRevision"))
        quality_form = forms.get(self._policy.quality_score.form) or {}
        quality = quality_form.get(self._policy.quality_score.field)
        listing = found.get("listing") or {}
        with missing_means(f"The owning project of {found['name']} no longer exists."):
            project = self._dz.get_project(domainIdentifier=domain_id, identifier=found["owningProjectId"])
        return Preview(
            domain_id=domain_id,
            asset_id=found["id"],
            name=found["name"],
            type_name=found["typeIdentifier"],
            owner_project_id=found["owningProjectId"],
            owner_project_name=project["name"],
            forms=tuple(sorted(forms)),
            missing=missing_metadata(forms, required, self._policy),
            glossary_terms=tuple(self._term_names(domain_id, found.get("glossaryTerms") or [])),
            quality=float(quality) if isinstance(quality, int | float) and not isinstance(quality, bool) else None,
            listing_status=listing.get("listingStatus"),
            listing_id=listing.get("listingId"),
        )

    def _required_forms(self, domain_id: str, type_id: str, revision: str | None) -> list[str]:
        try:
            kwargs = {"revision": revision} if revision else {}
            asset_type = self._dz.get_asset_type(domainIdentifier=domain_id, identifier=type_id, **kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return []
            raise
        return sorted(name for name, form in (asset_type.get("formsOutput") or {}).items() if form.get("required"))

    def _term_names(self, domain_id: str, term_ids: list[str]) -> list[str]:
        names = []
        for term_id in term_ids:
            try:
                names.append(self._dz.get_glossary_term(domainIdentifier=domain_id, identifier=term_id)["name"])
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                names.append(term_id)
        return names

    def change(self, domain_id: str, asset_id: str, publish: bool) -> str:
        """Ask DataZone to publish or unpublish the asset; the listing's status right after."""
        try:
            with missing_means(f"Asset {asset_id} no longer exists."):
                out = self._dz.create_listing_change_set(
                    domainIdentifier=domain_id,
                    entityIdentifier=asset_id,
                    entityType="ASSET",
                    action="PUBLISH" if publish else "UNPUBLISH",
                )
        except ClientError as exc:
            code, message = exc.response["Error"]["Code"], exc.response["Error"].get("Message", "")
            if code == "ConflictException":
                raise Conflict(f"DataZone refused: {message}") from None
            if code == "ValidationException":
                raise BadInput(f"DataZone refused: {message}") from None
            raise
        return str(out.get("status") or "")

    def follow(self, domain_id: str, asset_id: str, *, timeout: float = 300.0) -> str:
        """Poll the asset's listing with backoff until it settles (ACTIVE, FAILED, INACTIVE) or time runs out."""
        delay, waited = 0.1, 0.0
        while True:
            listing = self._dz.get_asset(domainIdentifier=domain_id, identifier=asset_id).get("listing") or {}
            status = str(listing.get("listingStatus") or "INACTIVE")
            if status in SETTLED or waited >= timeout:
                return status
            self._sleep(delay)
            waited += delay
            delay = min(delay * 2, 10.0)
