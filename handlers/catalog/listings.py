"""A DataZone listing as /catalog shows it, read from SearchListings' or GetListing's answer."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from bot.policy import FormField, Policy


@dataclass(frozen=True)
class Listing:
    """One published asset: what a consumer needs to decide whether to ask for it."""

    listing_id: str
    asset_id: str
    name: str
    owner_project_id: str
    description: str = ""
    classification: str | None = None
    quality: float | None = None
    terms: tuple[str, ...] = ()
    # {form name: content}, as the listing publishes them (forms are JSON strings in DataZone's answers).
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The description's first line."""
        return next((line.strip() for line in self.description.splitlines() if line.strip()), "")

    def columns(self) -> list[tuple[str, str]]:
        """(name, type) of the schema columns a form lists (Glue and Redshift table forms have `columns`)."""
        found = []
        for content in self.forms.values():
            for column in content.get("columns") or []:
                if isinstance(column, dict) and isinstance(column.get("columnName"), str):
                    found.append((column["columnName"], str(column.get("dataType") or "")))
        return found


def parse_forms(raw: Any) -> dict[str, dict[str, Any]]:
    """A listing's `forms` JSON string as {form name: content}; anything unreadable is left out, not guessed."""
    try:
        document = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return {}
    if not isinstance(document, dict):
        return {}
    forms = {}
    for name, content in document.items():
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except ValueError:
                continue
        if isinstance(content, dict):
            forms[str(name)] = content
    return forms


def _value(forms: dict[str, dict[str, Any]], where: FormField) -> Any:
    return forms.get(where.form, {}).get(where.field)


def _classification(forms: dict[str, dict[str, Any]], policy: Policy) -> str | None:
    raw = _value(forms, policy.subscriptions.classification)
    return raw.strip().lower() if isinstance(raw, str) and raw.strip() else None


def _quality(forms: dict[str, dict[str, Any]], policy: Policy) -> float | None:
    score = _value(forms, policy.subscriptions.quality_score)
    numeric = isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score)
    return float(score) if numeric else None


def _terms(raw: Any) -> tuple[str, ...]:
    return tuple(str(t["name"]) for t in raw or [] if isinstance(t, dict) and t.get("name"))


def from_search_item(item: dict[str, Any], policy: Policy) -> Listing | None:
    """A SearchListings item (AssetListingItem); None for a data product, which /catalog does not list yet."""
    asset = item.get("assetListing")
    if not isinstance(asset, dict) or not asset.get("listingId"):
        return None
    forms = parse_forms((asset.get("additionalAttributes") or {}).get("forms"))
    return Listing(
        listing_id=asset["listingId"],
        asset_id=str(asset.get("entityId") or ""),
        name=str(asset.get("name") or asset["listingId"]),
        owner_project_id=str(asset.get("owningProjectId") or ""),
        description=str(asset.get("description") or ""),
        classification=_classification(forms, policy),
        quality=_quality(forms, policy),
        terms=_terms(asset.get("glossaryTerms")),
        forms=forms,
    )


def from_get_listing(listing: dict[str, Any], policy: Policy) -> Listing | None:
    """GetListing's answer (its item an AssetListing); None for a data product."""
    asset = (listing.get("item") or {}).get("assetListing")
    if not isinstance(asset, dict):
        return None
    forms = parse_forms(asset.get("forms"))
    return Listing(
        listing_id=listing["id"],
        asset_id=str(asset.get("assetId") or ""),
        name=str(listing.get("name") or listing["id"]),
        owner_project_id=str(asset.get("owningProjectId") or ""),
        description=str(listing.get("description") or ""),
        classification=_classification(forms, policy),
        quality=_quality(forms, policy),
        terms=_terms(asset.get("glossaryTerms")),
        forms=forms,
    )
