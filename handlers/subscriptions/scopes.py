"""Scoped approval: an asset's filters (rows, columns), and the part of the asset an approval grants.

An accepted request's scope is `subscribedListings[].item.assetListing.assetScope` in DataZone (botocore's
SubscribedAssetListing), the filter ids an approver passed as AcceptSubscriptionRequest's `assetScopes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.errors import BadInput

# Slack's multi_static_select holds at most 100 options; DataZone does not publish a limit on filters per asset.
MAX_FILTERS = 100
WHOLE_ASSET = "whole asset"


@dataclass(frozen=True)
class AssetFilter:
    """One of an asset's filters, as ListAssetFilters gives it."""

    filter_id: str
    name: str


def asset_filters(dz: Any, domain_id: str, asset_id: str, *, valid_only: bool = True) -> list[AssetFilter]:
    """The asset's filters in DataZone's order: those it holds VALID (an invalid one cannot be granted), or all of
    them to name what was granted."""
    found = []
    status = {"status": "VALID"} if valid_only else {}
    for page in dz.get_paginator("list_asset_filters").paginate(
        domainIdentifier=domain_id, assetIdentifier=asset_id, **status
    ):
        found += [AssetFilter(item["id"], item["name"]) for item in page["items"]]
    return found


def accepted_filter_ids(listing: dict[str, Any]) -> tuple[str, ...]:
    """The filter ids a subscribed listing was granted through; empty for the whole asset."""
    scope = ((listing.get("item") or {}).get("assetListing") or {}).get("assetScope") or {}
    return tuple(str(f) for f in scope.get("filterIds") or [])


def names_of(filters: list[AssetFilter], filter_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The filters' names, in the order given; a filter since deleted shows as its id."""
    by_id = {f.filter_id: f.name for f in filters}
    return tuple(by_id.get(fid, fid) for fid in filter_ids)


def ids_of(filters: list[AssetFilter], names: tuple[str, ...], usage: str) -> tuple[str, ...]:
    """The ids of the named filters; BadInput naming the asset's filters (and the usage) for any unknown name."""
    by_name = {f.name.lower(): f.filter_id for f in filters}
    unknown = [name for name in names if name.lower() not in by_name]
    if unknown:
        offered = ", ".join(f"`{f.name}`" for f in filters) or "none: it can only be approved whole"
        raise BadInput(
            f"No filter {', '.join(repr(n) for n in unknown)} on this asset. Its filters: {offered}.\nUsage: `{usage}`"
        )
    return tuple(dict.fromkeys(by_name[name.lower()] for name in names))


def scope_text(names: tuple[str, ...]) -> str:
    """How a granted scope reads: "scope: eu_customers, contact_columns", or "scope: whole asset"."""
    return f"scope: {', '.join(names) if names else WHOLE_ASSET}"
