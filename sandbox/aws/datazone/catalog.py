"""Emulated DataZone catalog: assets and revisions, listings and change sets, search, glossaries, types."""

from __future__ import annotations

import json
from typing import Any

from sandbox.aws.datazone import events
from sandbox.aws.datazone.state import Domain, Record, State, find, page, paged, stamp
from sandbox.aws.restjson import conflict, not_found, validation


def _forms(forms_input: list[Record] | None) -> list[Record]:
    forms = []
    for form in forms_input or []:
        content = form.get("content")
        if content is not None:
            try:
                json.loads(content)
            except json.JSONDecodeError:
                raise validation(f"form {form['formName']} content is not JSON") from None
        forms.append(
            {
                "formName": form["formName"],
                "typeName": form.get("typeIdentifier", form["formName"]),
                "typeRevision": form.get("typeRevision", "1"),
                "content": content or "{}",
            }
        )
    return forms


class CatalogHandlers:
    """Operations on assets, listings, search, glossaries, glossary terms, form types and asset types."""

    def __init__(self, state: State) -> None:
        self.state = state

    # -- assets ----------------------------------------------------------------------------------

    def _project(self, domain: Domain, identifier: str) -> Record:
        return find(domain.projects, identifier, "Project")

    def _check_terms(self, domain: Domain, terms: list[str] | None) -> list[str]:
        for term in terms or []:
            find(domain.terms, term, "Glossary term")
        return list(terms or [])

    def create_asset(
        self, domainIdentifier: str, name: str, typeIdentifier: str, owningProjectIdentifier: str, **kw: Any
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        project = self._project(domain, owningProjectIdentifier)
        find(domain.asset_types, typeIdentifier, "Asset type")
        external = kw.get("externalIdentifier")
        if external and any(a.get("externalIdentifier") == external for a in domain.assets.values()):
            raise conflict(f"An asset with externalIdentifier {external} already exists")
        now = self.state.now()
        asset = stamp(
            self.state,
            {
                "id": self.state.new_id(),
                "domainId": domain.id,
                "name": name,
                "typeIdentifier": typeIdentifier,
                "typeRevision": kw.get("typeRevision") or "1",
                "externalIdentifier": external,
                "description": kw.get("description"),
                "revision": "1",
                "owningProjectId": project["id"],
                "glossaryTerms": self._check_terms(domain, kw.get("glossaryTerms")),
                "formsOutput": _forms(kw.get("formsInput")),
                "firstRevisionCreatedAt": now,
                "firstRevisionCreatedBy": self.state.caller,
                "_revisions": [],
            },
            created=True,
        )
        asset["_revisions"].append(_snapshot(asset))
        domain.assets[asset["id"]] = asset
        events.minimal(
            self.state, domain, asset, asset["id"], "Asset Added To Inventory", owningProjectId=project["id"]
        )
        return asset

    def create_asset_revision(self, domainIdentifier: str, identifier: str, name: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        asset = find(domain.assets, identifier, "Asset")
        asset["name"] = name
        for key in ("description", "typeRevision"):
            if kw.get(key) is not None:
                asset[key] = kw[key]
        if kw.get("glossaryTerms") is not None:
            asset["glossaryTerms"] = self._check_terms(domain, kw["glossaryTerms"])
        if kw.get("formsInput") is not None:
            by_name = {f["formName"]: f for f in asset["formsOutput"]}
            by_name.update({f["formName"]: f for f in _forms(kw["formsInput"])})
            asset["formsOutput"] = list(by_name.values())
        asset["revision"] = str(int(asset["revision"]) + 1)
        stamp(self.state, asset)
        asset["_revisions"].append(_snapshot(asset))
        return asset

    def get_asset(self, domainIdentifier: str, identifier: str, revision: str | None = None) -> Record:
        domain = self.state.domain(domainIdentifier)
        asset = find(domain.assets, identifier, "Asset")
        if revision is not None:
            match = next((r for r in asset["_revisions"] if r["revision"] == revision), None)
            if match is None:
                raise not_found(f"Asset {identifier} has no revision {revision}")
            return {**asset, **match}
        listing = domain.listings.get(asset.get("_listingId", ""))
        if listing is not None:
            self._advance_listing(domain, listing)
            return {**asset, "listing": {"listingId": listing["id"], "listingStatus": listing["status"]}}
        return asset

    def delete_asset(self, domainIdentifier: str, identifier: str) -> None:
        domain = self.state.domain(domainIdentifier)
        asset = find(domain.assets, identifier, "Asset")
        listing = domain.listings.get(asset.get("_listingId", ""))
        if listing is not None and listing["status"] != "INACTIVE":
            raise conflict(f"Asset {identifier} is published; unpublish it first")
        del domain.assets[identifier]
        # DataZone announces no asset deletion of its own (CloudTrail's DeleteAsset does); the unpublished
        # listing goes with the asset. The listing events name the asset in metadata.id (unverified).
        if listing is not None:
            del domain.listings[listing["id"]]
            events.minimal(self.state, domain, asset, asset["id"], "Asset Listing Deleted")

    # -- listings --------------------------------------------------------------------------------

    def _advance_listing(self, domain: Domain, listing: Record) -> None:
        # Publishing takes a moment in the real service; the listing becomes ACTIVE once due.
        if listing["status"] == "CREATING" and self.state.clock() >= listing["_activeAt"]:
            listing["status"] = "ACTIVE"
            asset = domain.assets.get(listing["_assetId"])
            if asset is None:
                return
            events.minimal(self.state, domain, asset, asset["id"], "Asset Added To Catalog")
            subscribed = any(
                s["subscribedListing"]["id"] == listing["id"] and s["status"] == "APPROVED"
                for s in domain.subscriptions.values()
            )
            if subscribed and int(listing["listingRevision"]) > 1:
                # Subscribers of the listing are told a newer revision is in the catalog.
                events.minimal(self.state, domain, asset, asset["id"], "New Asset Version Available")

    def create_listing_change_set(
        self, domainIdentifier: str, entityIdentifier: str, entityType: str, action: str, **kw: Any
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        if entityType != "ASSET":
            raise validation("this emulator publishes assets only")
        asset = find(domain.assets, entityIdentifier, "Asset")
        listing = domain.listings.get(asset.get("_listingId", ""))
        if action == "PUBLISH":
            missing = _missing_required_forms(domain, asset)
            if missing:
                raise validation(f"Asset {asset['id']} is missing required forms: {', '.join(missing)}")
            if listing is None:
                listing = stamp(
                    self.state, {"id": self.state.new_id(), "domainId": domain.id, "listingRevision": "0"}, created=True
                )
                domain.listings[listing["id"]] = listing
                asset["_listingId"] = listing["id"]
            listing.update(
                {
                    "listingRevision": str(int(listing["listingRevision"]) + 1),
                    "name": asset["name"],
                    "description": asset.get("description"),
                    "status": "CREATING",
                    "_activeAt": self.state.clock() + self.publish_seconds,
                    "_assetId": asset["id"],
                    "_assetRevision": asset["revision"],
                }
            )
            stamp(self.state, listing)
            published = listing
            self.state.later(
                self.publish_seconds, lambda: self._advance_listing(domain, published), caller=self.state.caller
            )
        else:
            if listing is None or listing["status"] == "INACTIVE":
                raise conflict(f"Asset {asset['id']} is not published")
            listing["status"] = "INACTIVE"
            stamp(self.state, listing)
            events.minimal(self.state, domain, asset, asset["id"], "Asset Unpublished")
        return {"listingId": listing["id"], "listingRevision": listing["listingRevision"], "status": listing["status"]}

    publish_seconds = 0.2

    def get_listing(self, domainIdentifier: str, identifier: str, listingRevision: str | None = None) -> Record:
        domain = self.state.domain(domainIdentifier)
        listing = find(domain.listings, identifier, "Listing")
        self._advance_listing(domain, listing)
        asset = domain.assets.get(listing["_assetId"])
        item = None
        if asset is not None:
            forms = {f["formName"]: json.loads(f["content"]) for f in asset["formsOutput"]}
            item = {
                "assetListing": {
                    "assetId": asset["id"],
                    "assetRevision": listing["_assetRevision"],
                    "assetType": asset["typeIdentifier"],
                    "createdAt": listing["createdAt"],
                    "forms": json.dumps(forms),
                    "glossaryTerms": [
                        {"name": domain.terms[t]["name"], "shortDescription": domain.terms[t].get("shortDescription")}
                        for t in asset["glossaryTerms"]
                        if t in domain.terms
                    ],
                    "owningProjectId": asset["owningProjectId"],
                }
            }
        return {**listing, "item": item}

    def search_listings(self, domainIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        text = (kw.get("searchText") or "").lower()
        clause = kw.get("filters")
        items = []
        for listing in domain.listings.values():
            self._advance_listing(domain, listing)
            if listing["status"] != "ACTIVE":
                continue
            asset = domain.assets.get(listing["_assetId"], {})
            # The text matches the name or the description, as the portal's search box does.
            if text and text not in f"{listing['name']} {listing.get('description') or ''}".lower():
                continue
            terms = [domain.terms[t] for t in asset.get("glossaryTerms") or [] if t in domain.terms]
            if clause is not None and not _clause(_listing_record(listing, asset, terms), clause):
                continue
            item: Record = {
                "listingId": listing["id"],
                "listingRevision": listing["listingRevision"],
                "name": listing["name"],
                "entityId": listing["_assetId"],
                "entityRevision": listing["_assetRevision"],
                "entityType": asset.get("typeIdentifier"),
                "description": listing.get("description"),
                "owningProjectId": asset.get("owningProjectId"),
                "listingCreatedBy": listing["createdBy"],
                "listingUpdatedBy": listing["updatedBy"],
                "createdAt": listing["createdAt"],
                "glossaryTerms": [{"name": t["name"], "shortDescription": t.get("shortDescription")} for t in terms],
            }
            if "FORMS" in (kw.get("additionalAttributes") or []):
                # AssetListingItemAdditionalAttributes.forms: one JSON string, as GetListing's AssetListing.forms.
                forms = {f["formName"]: json.loads(f["content"]) for f in asset.get("formsOutput") or []}
                item["additionalAttributes"] = {"forms": json.dumps(forms)}
            items.append({"assetListing": item})
        out = paged("items", items, kw.get("maxResults"), kw.get("nextToken"))
        return {**out, "totalMatchCount": len(items)}

    # -- search ----------------------------------------------------------------------------------

    def search(self, domainIdentifier: str, searchScope: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        records = {"ASSET": domain.assets, "GLOSSARY": domain.glossaries, "GLOSSARY_TERM": domain.terms}.get(
            searchScope, {}
        )
        matching = [r for r in records.values() if _matches(r, kw, domain)]
        # Only the page's items are built: building all of them for every page made paging through a
        # large catalog quadratic (10,000 assets, 200 pages, 2 million copies).
        chunk, token = page(matching, kw.get("maxResults"), kw.get("nextToken"))
        if searchScope == "ASSET":
            items = [{"assetItem": _asset_item(a, kw.get("additionalAttributes"))} for a in chunk]
        elif searchScope == "GLOSSARY":
            items = [{"glossaryItem": g} for g in chunk]
        else:
            items = [{"glossaryTermItem": t} for t in chunk]
        return {"items": items, "nextToken": token, "totalMatchCount": len(matching)}

    def search_types(self, domainIdentifier: str, searchScope: str, managed: bool, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        if searchScope == "FORM_TYPE":
            items = [{"formTypeItem": f} for f in domain.form_types.values() if f.get("_managed", False) == managed]
        elif searchScope == "ASSET_TYPE":
            items = [{"assetTypeItem": a} for a in domain.asset_types.values() if a.get("_managed", False) == managed]
        else:
            items = []
        text = (kw.get("searchText") or "").lower()
        items = [i for i in items if text in json.dumps(i, default=str).lower()]
        out = paged("items", items, kw.get("maxResults"), kw.get("nextToken"))
        return {**out, "totalMatchCount": len(items)}


def _snapshot(asset: Record) -> Record:
    keys = ("revision", "name", "description", "glossaryTerms", "formsOutput", "typeRevision")
    return {k: json.loads(json.dumps(asset.get(k))) for k in keys}


def _missing_required_forms(domain: Domain, asset: Record) -> list[str]:
    asset_type = domain.asset_types.get(asset["typeIdentifier"], {})
    present = {f["formName"] for f in asset["formsOutput"]}
    return sorted(n for n, f in asset_type.get("formsOutput", {}).items() if f.get("required") and n not in present)


def _asset_item(asset: Record, additional: list[str] | None) -> Record:
    item = dict(asset, identifier=asset["id"])
    if additional and "FORMS" in additional:
        item["additionalAttributes"] = {"formsOutput": asset["formsOutput"]}
    return item


def _matches(record: Record, kw: dict[str, Any], domain: Domain) -> bool:
    owner = kw.get("owningProjectIdentifier")
    if (
        owner
        and record.get(
            "owningProjectId", domain.glossaries.get(record.get("glossaryId", ""), {}).get("owningProjectId")
        )
        != owner
    ):
        return False
    text = (kw.get("searchText") or "").lower()
    if (
        text
        and text not in " ".join(str(record.get(k) or "") for k in ("name", "description", "shortDescription")).lower()
    ):
        return False
    clause = kw.get("filters")
    return clause is None or _clause(record, clause)


def _listing_record(listing: Record, asset: Record, terms: list[Record]) -> Record:
    # What SearchListings' filters see of a listing. The model publishes the filter's shape (attribute, value,
    # intValue, operator) but not the attribute names; these are the listing's own field names, a glossary
    # term by its name, and a form field as "FormName.field" (unverified, as in Search).
    return {
        "name": listing["name"],
        "description": listing.get("description"),
        "owningProjectId": asset.get("owningProjectId"),
        "entityType": asset.get("typeIdentifier"),
        "glossaryTerms": [t["name"] for t in terms],
        "formsOutput": asset.get("formsOutput") or [],
    }


def _clause(record: Record, clause: Record) -> bool:
    if "filter" in clause:
        return _filter(record, clause["filter"])
    if "and" in clause:
        return all(_clause(record, c) for c in clause["and"])
    if "or" in clause:
        return any(_clause(record, c) for c in clause["or"])
    raise validation("filters must hold filter, and, or or")


def _attribute(record: Record, attribute: str) -> Any:
    # Attributes are top-level fields (name, typeIdentifier, owningProjectId, ...) or form fields
    # written "FormName.field", which is how DataZone filters on business metadata.
    if "." in attribute:
        form_name, field = attribute.split(".", 1)
        for form in record.get("formsOutput") or []:
            if form["formName"] == form_name:
                return json.loads(form["content"]).get(field)
        return None
    return record.get(attribute)


def _filter(record: Record, spec: Record) -> bool:
    actual = _attribute(record, spec["attribute"])
    if isinstance(actual, list):
        # A many-valued attribute (glossary terms) matches when any of its values does.
        return any(_filter({"_value": value}, {**spec, "attribute": "_value"}) for value in actual)
    operator = spec.get("operator", "EQ")
    if "intValue" in spec:
        if not isinstance(actual, int | float):
            return False
        wanted: Any = spec["intValue"]
    else:
        wanted = spec.get("value")
    if operator == "TEXT_SEARCH":
        return str(wanted).lower() in str(actual or "").lower()
    if operator == "EQ":
        return actual == wanted if "intValue" in spec else str(actual) == str(wanted)
    if actual is None:
        return False
    try:
        return {"LE": actual <= wanted, "LT": actual < wanted, "GE": actual >= wanted, "GT": actual > wanted}[operator]
    except TypeError:
        return False  # comparing a number with text matches nothing, as in the service
