"""Emulated DataZone asset filters: the row and column filters a subscription may be granted through."""

from __future__ import annotations

from typing import Any

from sandbox.aws.datazone.state import Domain, Record, find, paged, stamp
from sandbox.aws.restjson import conflict, not_found, validation


def _effective(configuration: Record) -> Record:
    # What a filter lets through, as GetAssetFilter reports it: the columns of a column filter; a row filter's
    # expression as text (DataZone's own rendering of it is not published, so this one is the emulator's).
    if "columnConfiguration" in configuration:
        return {"effectiveColumnNames": list(configuration["columnConfiguration"].get("includedColumnNames") or [])}
    if "rowConfiguration" in configuration:
        return {"effectiveRowFilter": str(configuration["rowConfiguration"].get("rowFilter"))}
    raise validation("configuration needs columnConfiguration or rowConfiguration")


class FilterHandlers:
    """CreateAssetFilter, ListAssetFilters, GetAssetFilter."""

    state: Any

    def create_asset_filter(
        self, domainIdentifier: str, assetIdentifier: str, name: str, configuration: Record, **kw: Any
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        asset = find(domain.assets, assetIdentifier, "Asset")
        if any(f["assetId"] == asset["id"] and f["name"] == name for f in domain.filters.values()):
            raise conflict(f"Asset {asset['id']} already has a filter called {name}")
        record = stamp(
            self.state,
            {
                "id": self.state.new_id(),
                "domainId": domain.id,
                "assetId": asset["id"],
                "name": name,
                "description": kw.get("description"),
                "status": "VALID",
                "configuration": configuration,
                **_effective(configuration),
            },
            created=True,
        )
        domain.filters[record["id"]] = record
        return record

    def list_asset_filters(self, domainIdentifier: str, assetIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        asset = find(domain.assets, assetIdentifier, "Asset")
        items = [
            f
            for f in domain.filters.values()
            if f["assetId"] == asset["id"] and (not kw.get("status") or f["status"] == kw["status"])
        ]
        return paged("items", sorted(items, key=lambda f: f["createdAt"]), kw.get("maxResults"), kw.get("nextToken"))

    def get_asset_filter(self, domainIdentifier: str, assetIdentifier: str, identifier: str) -> Record:
        domain = self.state.domain(domainIdentifier)
        asset = find(domain.assets, assetIdentifier, "Asset")
        record = domain.filters.get(identifier)
        if record is None or record["assetId"] != asset["id"]:
            raise not_found(f"Asset filter {identifier} not found on asset {asset['id']}")
        return record


def scope_of(domain: Domain, listing: Record, scopes: list[Record] | None) -> Record | None:
    """The accepted scope of one subscribed listing: its asset's entry of `assetScopes`, checked against the asset's
    filters. DataZone's error for a filter of another asset is not in botocore's model: ValidationException here."""
    asset_id = listing["item"]["assetListing"]["entityId"]
    chosen = [s for s in scopes or [] if s["assetId"] == asset_id]
    for scope in scopes or []:
        if scope["assetId"] != asset_id:
            raise validation(f"assetScopes names asset {scope['assetId']}, which this request is not for")
    if not chosen:
        return None
    filter_ids = [fid for scope in chosen for fid in scope["filterIds"]]
    for filter_id in filter_ids:
        found = domain.filters.get(filter_id)
        if found is None or found["assetId"] != asset_id:
            raise validation(f"Filter {filter_id} is not a filter of asset {asset_id}")
    if not filter_ids:
        raise validation(f"assetScopes for asset {asset_id} names no filter")
    # AssetScope.status is a free string in the model; its values are not published ("ACCEPTED" is the emulator's).
    return {"assetId": asset_id, "filterIds": filter_ids, "status": "ACCEPTED"}
