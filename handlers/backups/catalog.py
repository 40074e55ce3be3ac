"""Reads a DataZone domain's catalog metadata as plain entities: what a backup stores and a restore rebuilds."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from bot.wording import count

# Dependency order: a restore creates kinds in this order, since later ones refer to earlier ones.
KINDS = ("PROJECT", "FORM_TYPE", "ASSET_TYPE", "GLOSSARY", "TERM", "ASSET", "SUBSCRIPTION")
LABELS = {
    "PROJECT": "projects",
    "FORM_TYPE": "form types",
    "ASSET_TYPE": "asset types",
    "GLOSSARY": "glossaries",
    "TERM": "glossary terms",
    "ASSET": "assets",
    "SUBSCRIPTION": "approved subscriptions",
}
# The same kinds counted one at a time: "1 glossary", not "1 glossaries".
SINGULAR = {
    "PROJECT": "project",
    "FORM_TYPE": "form type",
    "ASSET_TYPE": "asset type",
    "GLOSSARY": "glossary",
    "TERM": "glossary term",
    "ASSET": "asset",
    "SUBSCRIPTION": "approved subscription",
}


def counted(kind: str, n: int) -> str:
    """`n` entities of `kind`: "1 glossary", "2 glossaries"."""
    return count(n, SINGULAR[kind], LABELS[kind])


@dataclass(frozen=True)
class Entity:
    """One catalog object, reduced to what rebuilding it needs (no timestamps, so unchanged means equal)."""

    kind: str
    id: str
    name: str
    body: dict[str, Any]


@dataclass(frozen=True)
class EntityError:
    """An entity that could not be read or stored; the run goes on without it."""

    kind: str
    id: str
    error: str


@dataclass
class Snapshot:
    """Everything read from the live catalog, by kind, and what could not be read."""

    entities: dict[str, list[Entity]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    errors: list[EntityError] = field(default_factory=list)

    def ids(self, kind: str) -> set[str]:
        """Ids of the entities of `kind` that were read, well or badly (a bad one is not gone)."""
        return {e.id for e in self.entities[kind]} | {e.id for e in self.errors if e.kind == kind}


def _pages(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        page = call(**params, maxResults=50, **({"nextToken": token} if token else {}))
        yield from page.get(key) or []
        token = page.get("nextToken")
        if not token:
            return


def _forms(forms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for form in forms:
        try:
            content = json.loads(form.get("content") or "{}")
        except json.JSONDecodeError:
            raise ValueError(f"form {form.get('formName')} has content that is not JSON") from None
        out.append(
            {
                "formName": form["formName"],
                "typeName": form.get("typeName") or form["formName"],
                "typeRevision": form.get("typeRevision"),
                "content": content,
            }
        )
    return sorted(out, key=lambda f: f["formName"])


def asset_entity(item: dict[str, Any], listing_status: str | None) -> Entity:
    """An asset from a search item or GetAsset output; ValueError names what is malformed."""
    asset_id = item.get("identifier") or item.get("id")
    if not asset_id or not item.get("name") or not item.get("typeIdentifier"):
        raise ValueError("asset has no id, name or type")
    forms = (item.get("additionalAttributes") or {}).get("formsOutput")
    body = {
        "name": item["name"],
        "description": item.get("description"),
        "typeIdentifier": item["typeIdentifier"],
        "typeRevision": item.get("typeRevision"),
        # Optional in the API; the reference's sample failed its whole run when these were missing.
        "externalIdentifier": item.get("externalIdentifier"),
        "owningProjectId": item.get("owningProjectId"),
        "glossaryTerms": sorted(item.get("glossaryTerms") or []),
        "forms": _forms(forms if forms is not None else item.get("formsOutput") or []),
        "listingStatus": listing_status,
    }
    return Entity("ASSET", asset_id, item["name"], body)


def term_entity(item: dict[str, Any]) -> Entity:
    """A glossary term with its relations."""
    relations = item.get("termRelations") or {}
    body = {
        "glossaryId": item["glossaryId"],
        "name": item["name"],
        "shortDescription": item.get("shortDescription"),
        "longDescription": item.get("longDescription"),
        "status": item.get("status"),
        "termRelations": {k: sorted(relations.get(k) or []) for k in ("isA", "classifies") if relations.get(k)},
    }
    return Entity("TERM", item["id"], item["name"], body)


def glossary_entity(item: dict[str, Any]) -> Entity:
    """A glossary."""
    body = {
        "name": item["name"],
        "description": item.get("description"),
        "status": item.get("status"),
        "owningProjectId": item.get("owningProjectId"),
    }
    return Entity("GLOSSARY", item["id"], item["name"], body)


def subscription_entity(item: dict[str, Any]) -> Entity:
    """An approved subscription: who may read which listing."""
    listing = item.get("subscribedListing") or {}
    asset = (listing.get("item") or {}).get("assetListing") or {}
    body = {
        "status": item.get("status"),
        "listingId": listing.get("id"),
        "listingName": listing.get("name"),
        "ownerProjectId": listing.get("ownerProjectId"),
        "assetId": asset.get("entityId"),
        "principal": item.get("subscribedPrincipal"),
        "requestId": item.get("subscriptionRequestId"),
    }
    scope = asset.get("assetScope") or {}
    if scope.get("filterIds"):
        # Granted through chosen asset filters, not the whole asset; a whole-asset body stays as it always was, so
        # upgrading changes no stored item.
        body["assetScope"] = {"assetId": scope.get("assetId"), "filterIds": list(scope["filterIds"])}
    return Entity("SUBSCRIPTION", item["id"], str(listing.get("name") or item["id"]), body)


class CatalogReader:
    """Reads one domain's catalog through the DataZone API (search, search_types, list_*), entity by entity."""

    def __init__(self, datazone: Any, domain_id: str, projects: list[str] | None = None) -> None:
        self.dz = datazone
        self.domain = domain_id
        self.projects = projects or []

    def _in_scope(self, project_id: str | None) -> bool:
        return not self.projects or project_id in self.projects

    def _guarded(self, snapshot: Snapshot, kind: str, raw: dict[str, Any], build: Callable[[], Entity]) -> None:
        try:
            snapshot.entities[kind].append(build())
        except (ValueError, KeyError, TypeError) as exc:
            # One malformed entity is reported in the run's record; the others are still backed up.
            ident = str(raw.get("identifier") or raw.get("id") or raw.get("name") or "?")
            snapshot.errors.append(EntityError(kind, ident, str(exc) if isinstance(exc, ValueError) else repr(exc)))

    def read(self) -> Snapshot:
        """The whole catalog in scope."""
        snapshot = Snapshot()
        self._projects(snapshot)
        self._types(snapshot)
        self._glossaries(snapshot)
        self._assets(snapshot)
        self._subscriptions(snapshot)
        return snapshot

    def _search(self, scope: str, **params: Any) -> Iterator[dict[str, Any]]:
        owners = self.projects or [None]
        for owner in owners:
            extra = {"owningProjectIdentifier": owner} if owner else {}
            yield from _pages(
                self.dz.search, "items", domainIdentifier=self.domain, searchScope=scope, **extra, **params
            )

    def _projects(self, snapshot: Snapshot) -> None:
        for project in _pages(self.dz.list_projects, "items", domainIdentifier=self.domain):
            if self._in_scope(project["id"]):
                self._guarded(snapshot, "PROJECT", project, lambda p=project: self.project_entity(p))

    def project_entity(self, project: dict[str, Any]) -> Entity:
        """A project with its members."""
        members = [
            {"member": m["memberDetails"], "designation": m.get("designation")}
            for m in _pages(
                self.dz.list_project_memberships,
                "members",
                domainIdentifier=self.domain,
                projectIdentifier=project["id"],
            )
        ]
        body = {
            "name": project["name"],
            "description": project.get("description"),
            "members": sorted(members, key=lambda m: json.dumps(m, sort_keys=True)),
        }
        return Entity("PROJECT", project["id"], project["name"], body)

    def _types(self, snapshot: Snapshot) -> None:
        for scope, kind, key in (
            ("FORM_TYPE", "FORM_TYPE", "formTypeItem"),
            ("ASSET_TYPE", "ASSET_TYPE", "assetTypeItem"),
        ):
            items = _pages(
                self.dz.search_types, "items", domainIdentifier=self.domain, searchScope=scope, managed=False
            )
            for item in items:
                record = item.get(key) or {}
                if self._in_scope(record.get("owningProjectId")):
                    self._guarded(snapshot, kind, record, lambda r=record, k=kind: _type_entity(k, r))

    def _glossaries(self, snapshot: Snapshot) -> None:
        for item in self._search("GLOSSARY"):
            record = item.get("glossaryItem") or {}
            self._guarded(snapshot, "GLOSSARY", record, lambda r=record: glossary_entity(r))
        for item in self._search("GLOSSARY_TERM"):
            record = item.get("glossaryTermItem") or {}
            self._guarded(snapshot, "TERM", record, lambda r=record: term_entity(r))

    def listing_statuses(self) -> dict[str, str]:
        """Asset id -> listing status, for assets published to the catalog."""
        statuses = {}
        for item in _pages(self.dz.search_listings, "items", domainIdentifier=self.domain):
            listing = item.get("assetListing") or {}
            if listing.get("entityId"):
                statuses[listing["entityId"]] = "ACTIVE"
        return statuses

    def _assets(self, snapshot: Snapshot) -> None:
        listed = self.listing_statuses()
        for item in self._search("ASSET", additionalAttributes=["FORMS"]):
            record = item.get("assetItem") or {}
            ident = record.get("identifier", "")
            self._guarded(snapshot, "ASSET", record, lambda r=record, i=ident: asset_entity(r, listed.get(i)))

    def _subscriptions(self, snapshot: Snapshot) -> None:
        owners = self.projects or [None]
        for owner in owners:
            extra = {"approverProjectId": owner} if owner else {}
            for item in _pages(
                self.dz.list_subscriptions, "items", domainIdentifier=self.domain, status="APPROVED", **extra
            ):
                self._guarded(snapshot, "SUBSCRIPTION", item, lambda r=item: subscription_entity(r))

    # -- one entity, for event-driven backups ------------------------------------------------------

    def one(self, kind: str, entity_id: str) -> Entity | None:
        """The current state of one entity, or None when DataZone no longer has it."""
        try:
            if kind == "ASSET":
                asset = self.dz.get_asset(domainIdentifier=self.domain, identifier=entity_id)
                status = (asset.get("listing") or {}).get("listingStatus")
                return asset_entity(asset, "ACTIVE" if status == "ACTIVE" else None)
            if kind == "TERM":
                return term_entity(self.dz.get_glossary_term(domainIdentifier=self.domain, identifier=entity_id))
            if kind == "GLOSSARY":
                return glossary_entity(self.dz.get_glossary(domainIdentifier=self.domain, identifier=entity_id))
            if kind == "PROJECT":
                return self.project_entity(self.dz.get_project(domainIdentifier=self.domain, identifier=entity_id))
            if kind in ("FORM_TYPE", "ASSET_TYPE"):
                return self.type_entity(kind, entity_id)
            if kind == "SUBSCRIPTION":
                found = subscription_entity(
                    self.dz.get_subscription(domainIdentifier=self.domain, identifier=entity_id)
                )
                return found if found.body["status"] == "APPROVED" else None
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        raise ValueError(f"no single-entity read for {kind}")

    def type_entity(self, kind: str, name: str) -> Entity | None:
        """A custom form or asset type by name, found as the full read finds it (search_types, not managed)."""
        key = "formTypeItem" if kind == "FORM_TYPE" else "assetTypeItem"
        items = _pages(self.dz.search_types, "items", domainIdentifier=self.domain, searchScope=kind, managed=False)
        record = next((i[key] for i in items if (i.get(key) or {}).get("name") == name), None)
        return _type_entity(kind, record) if record is not None else None


def _type_entity(kind: str, record: dict[str, Any]) -> Entity:
    if kind == "FORM_TYPE":
        body = {
            "name": record["name"],
            "description": record.get("description"),
            "model": (record.get("model") or {}).get("smithy"),
            "status": record.get("status"),
            "owningProjectId": record.get("owningProjectId"),
        }
    else:
        forms = record.get("formsOutput") or {}
        body = {
            "name": record["name"],
            "description": record.get("description"),
            "forms": {
                name: {"typeName": f.get("typeName"), "required": bool(f.get("required"))}
                for name, f in sorted(forms.items())
            },
            "owningProjectId": record.get("owningProjectId"),
        }
    return Entity(kind, record["name"], record["name"], body)
