"""Restore: plan what a target domain lacks against the backup, then apply it in dependency order, idempotently.

Entities are matched by what survives a move between domains, not by ids: projects, glossaries, form and
asset types by name, terms by glossary and name, assets by external identifier (or project and name).
References are compared as names too (an asset's project, its glossary terms), so a target that already
holds the same catalog under other ids plans nothing. Applying re-reads the target first, so a plan
applied twice, or resumed after a failure, creates nothing twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.backups.catalog import KINDS, LABELS, CatalogReader, Entity, Snapshot

CREATE, UPDATE, UNCHANGED, MANUAL = "create", "update", "unchanged", "manual"
# What a restore rebuilds; approved subscriptions are listed for the owners to grant again.
RESTORED = ("PROJECT", "FORM_TYPE", "ASSET_TYPE", "GLOSSARY", "TERM", "ASSET")


@dataclass
class Names:
    """Id -> portable name, for the references one domain's entities make."""

    projects: dict[str, str] = field(default_factory=dict)
    glossaries: dict[str, str] = field(default_factory=dict)
    terms: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, entities: dict[str, list[Entity]]) -> Names:
        """The names in one set of entities."""
        names = cls(
            projects={e.id: e.name for e in entities["PROJECT"]},
            glossaries={e.id: e.name for e in entities["GLOSSARY"]},
        )
        names.terms = {e.id: f"{names.glossaries.get(e.body['glossaryId'], '?')}/{e.name}" for e in entities["TERM"]}
        return names


def portable(entity: Entity, names: Names) -> tuple[str, dict[str, Any]]:
    """The entity's natural key and its body with references as names (ids differ between domains)."""
    body = entity.body
    project = names.projects.get(body.get("owningProjectId") or "", body.get("owningProjectId"))
    if entity.kind == "PROJECT":
        return body["name"], {"name": body["name"]}
    if entity.kind == "FORM_TYPE":
        return body["name"], {**_pick(body, "name", "description", "model"), "project": project}
    if entity.kind == "ASSET_TYPE":
        return body["name"], {**_pick(body, "name", "description", "forms"), "project": project}
    if entity.kind == "GLOSSARY":
        return body["name"], {**_pick(body, "name", "description", "status"), "project": project}
    if entity.kind == "TERM":
        glossary = names.glossaries.get(body["glossaryId"], body["glossaryId"])
        relations = {k: sorted(names.terms.get(t, t) for t in v) for k, v in (body.get("termRelations") or {}).items()}
        portable_body = {**_pick(body, "name", "shortDescription", "longDescription", "status"), "glossary": glossary}
        return f"{glossary}/{body['name']}", {**portable_body, "relations": relations}
    if entity.kind == "ASSET":
        forms = [{"formName": f["formName"], "typeName": f["typeName"], "content": f["content"]} for f in body["forms"]]
        key = body.get("externalIdentifier") or f"{project}/{body['name']}"
        return key, {
            **_pick(body, "name", "description", "typeIdentifier", "externalIdentifier"),
            "project": project,
            "terms": sorted(names.terms.get(t, t) for t in body.get("glossaryTerms") or []),
            "forms": forms,
        }
    return entity.id, dict(body)


# Free-text fields DataZone may hand back absent or empty: both mean "none", and a restore clears them with "".
TEXT = ("description", "shortDescription", "longDescription")


def _pick(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: (body.get(k) or None) if k in TEXT else body.get(k) for k in keys}


def _texts(body: dict[str, Any], *keys: str) -> dict[str, str]:
    """The text fields for an update: "" clears one the backup does not have (create leaves them out instead)."""
    return {k: body.get(k) or "" for k in keys}


def plan_steps(source: dict[str, list[Entity]], target: Snapshot) -> list[dict[str, Any]]:
    """One step per backed-up entity: create, update, unchanged, or manual (subscriptions)."""
    source_names, target_names = Names.of(source), Names.of(target.entities)
    steps = []
    for kind in KINDS:
        existing = dict(portable(e, target_names) for e in target.entities[kind])
        for entity in source[kind]:
            key, body = portable(entity, source_names)
            if kind not in RESTORED:
                action = MANUAL
            elif key not in existing:
                action = CREATE
            else:
                action = UNCHANGED if existing[key] == body else UPDATE
            listed = entity.body.get("listingStatus") == "ACTIVE"
            steps.append({"kind": kind, "id": entity.id, "key": key, "action": action, "body": body, "publish": listed})
    return steps


def summarise(steps: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """kind -> action -> count."""
    summary: dict[str, dict[str, int]] = {}
    for step in steps:
        per_kind = summary.setdefault(step["kind"], {})
        per_kind[step["action"]] = per_kind.get(step["action"], 0) + 1
    return summary


@dataclass
class ApplyResult:
    """What applying a plan did, and how long it took (the measured RTO)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """For the plan's record."""
        return dict(self.__dict__)


def progress_line(kind: str, result: ApplyResult, before: tuple[int, int, int]) -> str:
    """One kind done: its own counts, then the running totals, each labelled as what it is."""
    created, updated, failed = result.created - before[0], result.updated - before[1], len(result.failed) - before[2]
    own = f"{created} created, {updated} updated" + (f", {failed} failed" if failed else "")
    return f"{LABELS[kind]}: done, {own} (so far in all: {result.created} created, {result.updated} updated)"


class Restorer:
    """Applies a plan's steps to the target domain through the DataZone API."""

    def __init__(self, datazone: Any, target_domain: str, progress: Callable[[str], None] | None = None) -> None:
        self.dz = datazone
        self.domain = target_domain
        self.say = progress or (lambda _text: None)
        self.ids: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
        self.form_revisions: dict[str, str] = {}

    def apply(self, steps: list[dict[str, Any]]) -> ApplyResult:
        """Create and update in dependency order; failures of one entity are recorded and the rest go on."""
        started = time.monotonic()
        result = ApplyResult()
        current = CatalogReader(self.dz, self.domain).read()
        names = Names.of(current.entities)
        state: dict[str, dict[str, dict[str, Any]]] = {}
        for kind in KINDS:
            state[kind] = {}
            for entity in current.entities[kind]:
                key, body = portable(entity, names)
                state[kind][key] = body
                self.ids[kind][key] = entity.id
                if kind == "FORM_TYPE":
                    self.form_revisions[entity.id] = "1"
        by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        for step in steps:
            if step["kind"] in RESTORED:
                by_kind[step["kind"]].append(step)
        for kind in RESTORED:
            before = (result.created, result.updated, len(result.failed))
            for step in by_kind[kind]:
                existing = state[kind].get(step["key"])
                if existing == step["body"]:
                    result.unchanged += 1
                    continue
                try:
                    self._apply(kind, step, existing is None)
                except Exception as exc:  # one entity's failure is recorded; the rest are restored
                    result.failed.append(
                        {"kind": kind, "key": step["key"], "error": f"{type(exc).__name__}: {exc}"[:300]}
                    )
                    continue
                if existing is None:
                    result.created += 1
                else:
                    result.updated += 1
            if kind == "TERM":
                self._relations(by_kind["TERM"], state["TERM"], result)
            self.say(progress_line(kind, result, before))
        result.seconds = time.monotonic() - started
        return result

    def _project(self, name: str | None) -> str:
        project = self.ids["PROJECT"].get(name or "")
        if project is None:
            raise LookupError(f"project {name} is not in the target domain")
        return project

    def _apply(self, kind: str, step: dict[str, Any], create: bool) -> None:
        body, key, domain = step["body"], step["key"], self.domain
        if kind == "PROJECT":
            if create:
                self.ids[kind][key] = self.dz.create_project(domainIdentifier=domain, name=body["name"])["id"]
        elif kind == "FORM_TYPE":
            created = self.dz.create_form_type(
                domainIdentifier=domain,
                name=body["name"],
                model={"smithy": body["model"]},
                owningProjectIdentifier=self._project(body["project"]),
                **({"description": body["description"]} if body.get("description") else {}),
            )
            self.ids[kind][key] = body["name"]
            self.form_revisions[body["name"]] = created.get("revision", "1")
        elif kind == "ASSET_TYPE":
            forms = {
                name: {
                    "typeIdentifier": form["typeName"],
                    "typeRevision": self.form_revisions.get(form["typeName"], "1"),
                    "required": form["required"],
                }
                for name, form in body["forms"].items()
            }
            self.dz.create_asset_type(
                domainIdentifier=domain,
                name=body["name"],
                formsInput=forms,
                owningProjectIdentifier=self._project(body["project"]),
                **({"description": body["description"]} if body.get("description") else {}),
            )
            self.ids[kind][key] = body["name"]
        elif kind == "GLOSSARY":
            extra = {k: body[k] for k in ("description", "status") if body.get(k)}
            if create:
                self.ids[kind][key] = self.dz.create_glossary(
                    domainIdentifier=domain,
                    name=body["name"],
                    owningProjectIdentifier=self._project(body["project"]),
                    **extra,
                )["id"]
            else:
                self.dz.update_glossary(
                    domainIdentifier=domain,
                    identifier=self.ids[kind][key],
                    name=body["name"],
                    **{**extra, **_texts(body, "description")},
                )
        elif kind == "TERM":
            extra = {k: body[k] for k in ("shortDescription", "longDescription", "status") if body.get(k)}
            if create:
                self.ids[kind][key] = self.dz.create_glossary_term(
                    domainIdentifier=domain,
                    glossaryIdentifier=self.ids["GLOSSARY"][body["glossary"]],
                    name=body["name"],
                    **extra,
                )["id"]
            else:
                self.dz.update_glossary_term(
                    domainIdentifier=domain,
                    identifier=self.ids[kind][key],
                    name=body["name"],
                    **{**extra, **_texts(body, "shortDescription", "longDescription")},
                )
        elif kind == "ASSET":
            self._asset(step, create)

    def _asset(self, step: dict[str, Any], create: bool) -> None:
        body, key = step["body"], step["key"]
        terms = [self.ids["TERM"][t] for t in body["terms"] if t in self.ids["TERM"]]
        forms = [
            {"formName": f["formName"], "typeIdentifier": f["typeName"], "content": json.dumps(f["content"])}
            for f in body["forms"]
        ]
        common: dict[str, Any] = {"domainIdentifier": self.domain, "name": body["name"], "formsInput": forms}
        if terms:
            # glossaryTerms takes 1 to 20 ids: an asset without terms (as a data source imports it) sends none.
            common["glossaryTerms"] = terms
        if body.get("description"):
            common["description"] = body["description"]
        if create:
            created = self.dz.create_asset(
                **common,
                typeIdentifier=body["typeIdentifier"],
                owningProjectIdentifier=self._project(body["project"]),
                **({"externalIdentifier": body["externalIdentifier"]} if body.get("externalIdentifier") else {}),
            )
            self.ids["ASSET"][key] = created["id"]
            if step.get("publish"):
                self.dz.create_listing_change_set(
                    domainIdentifier=self.domain, entityIdentifier=created["id"], entityType="ASSET", action="PUBLISH"
                )
        else:
            common.update(_texts(body, "description"))
            self.dz.create_asset_revision(identifier=self.ids["ASSET"][key], **common)

    def _relations(self, steps: list[dict[str, Any]], existing: dict[str, dict[str, Any]], result: ApplyResult) -> None:
        # Terms refer to each other, so relations are set once every term exists.
        for step in steps:
            relations = step["body"]["relations"]
            before = (existing.get(step["key"]) or {}).get("relations")
            if not relations or before == relations or step["key"] not in self.ids["TERM"]:
                continue
            try:
                self.dz.update_glossary_term(
                    domainIdentifier=self.domain,
                    identifier=self.ids["TERM"][step["key"]],
                    termRelations={
                        k: [self.ids["TERM"][t] for t in v if t in self.ids["TERM"]] for k, v in relations.items()
                    },
                )
            except Exception as exc:  # recorded like any other entity's failure
                result.failed.append(
                    {"kind": "TERM", "key": step["key"], "error": f"{type(exc).__name__}: {exc}"[:300]}
                )
