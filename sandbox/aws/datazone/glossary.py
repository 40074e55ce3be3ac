"""Emulated DataZone glossaries and glossary terms, form types and asset types."""

from __future__ import annotations

import re
from typing import Any

from sandbox.aws.datazone.state import Record, State, find, stamp
from sandbox.aws.restjson import conflict, validation


class GlossaryHandlers:
    """Glossaries, terms with their relations, form types (Smithy models) and asset types with required forms."""

    def __init__(self, state: State) -> None:
        self.state = state

    # -- glossaries and terms ----------------------------------------------------------------------

    def create_glossary(self, domainIdentifier: str, name: str, owningProjectIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        project = find(domain.projects, owningProjectIdentifier, "Project")
        if any(g["name"] == name for g in domain.glossaries.values()):
            raise conflict(f"A glossary named {name} already exists")
        glossary = stamp(
            self.state,
            {
                "id": self.state.new_id(),
                "domainId": domain.id,
                "name": name,
                "owningProjectId": project["id"],
                "description": kw.get("description"),
                "status": kw.get("status") or "ENABLED",
            },
            created=True,
        )
        domain.glossaries[glossary["id"]] = glossary
        return glossary

    def get_glossary(self, domainIdentifier: str, identifier: str) -> Record:
        return find(self.state.domain(domainIdentifier).glossaries, identifier, "Glossary")

    def create_glossary_term(self, domainIdentifier: str, glossaryIdentifier: str, name: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        glossary = find(domain.glossaries, glossaryIdentifier, "Glossary")
        if any(t["name"] == name and t["glossaryId"] == glossary["id"] for t in domain.terms.values()):
            raise conflict(f"Glossary {glossary['name']} already has a term named {name}")
        relations = kw.get("termRelations") or {}
        for related in [*relations.get("isA", []), *relations.get("classifies", [])]:
            find(domain.terms, related, "Glossary term")
        term = stamp(
            self.state,
            {
                "id": self.state.new_id(),
                "domainId": domain.id,
                "glossaryId": glossary["id"],
                "name": name,
                "status": kw.get("status") or "ENABLED",
                "shortDescription": kw.get("shortDescription"),
                "longDescription": kw.get("longDescription"),
                "termRelations": relations or None,
            },
            created=True,
        )
        domain.terms[term["id"]] = term
        return term

    def get_glossary_term(self, domainIdentifier: str, identifier: str) -> Record:
        return find(self.state.domain(domainIdentifier).terms, identifier, "Glossary term")

    # -- form types and asset types --------------------------------------------------------------

    def create_form_type(
        self, domainIdentifier: str, name: str, model: Record, owningProjectIdentifier: str, **kw: Any
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        project = find(domain.projects, owningProjectIdentifier, "Project")
        smithy = model.get("smithy") or ""
        if not re.search(r"\bstructure\s+\w+", smithy):
            raise validation("model.smithy must define a structure")
        previous = domain.form_types.get(name)
        form = stamp(
            self.state,
            {
                "domainId": domain.id,
                "name": name,
                "model": {"smithy": smithy},
                "revision": str(int(previous["revision"]) + 1) if previous else "1",
                "owningProjectId": project["id"],
                "status": kw.get("status") or "ENABLED",
                "description": kw.get("description"),
            },
            created=True,
        )
        domain.form_types[name] = form
        return form

    def get_form_type(self, domainIdentifier: str, formTypeIdentifier: str, revision: str | None = None) -> Record:
        return find(self.state.domain(domainIdentifier).form_types, formTypeIdentifier, "Form type")

    def create_asset_type(
        self, domainIdentifier: str, name: str, formsInput: dict[str, Record], owningProjectIdentifier: str, **kw: Any
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        project = find(domain.projects, owningProjectIdentifier, "Project")
        forms = {}
        for form_name, form in formsInput.items():
            form_type = find(domain.form_types, form["typeIdentifier"], "Form type")
            forms[form_name] = {
                "typeName": form_type["name"],
                "typeRevision": form_type["revision"],
                "required": bool(form.get("required")),
            }
        previous = domain.asset_types.get(name)
        asset_type = stamp(
            self.state,
            {
                "domainId": domain.id,
                "name": name,
                "formsOutput": forms,
                "revision": str(int(previous["revision"]) + 1) if previous else "1",
                "owningProjectId": project["id"],
                "description": kw.get("description"),
            },
            created=True,
        )
        domain.asset_types[name] = asset_type
        return asset_type

    def get_asset_type(self, domainIdentifier: str, identifier: str, revision: str | None = None) -> Record:
        return find(self.state.domain(domainIdentifier).asset_types, identifier, "Asset type")


class GlossaryMaintenance:
    """Updates and deletes of glossaries and terms: what a restore reconciles and a tombstone records."""

    state: State

    def update_glossary(self, domainIdentifier: str, identifier: str, **kw: Any) -> Record:
        glossary = find(self.state.domain(domainIdentifier).glossaries, identifier, "Glossary")
        for key in ("name", "description", "status"):
            if kw.get(key) is not None:
                glossary[key] = kw[key]
        return stamp(self.state, glossary)

    def delete_glossary(self, domainIdentifier: str, identifier: str) -> None:
        domain = self.state.domain(domainIdentifier)
        glossary = find(domain.glossaries, identifier, "Glossary")
        if any(t["glossaryId"] == glossary["id"] for t in domain.terms.values()):
            raise conflict(f"Glossary {glossary['name']} still has terms; delete them first")
        del domain.glossaries[identifier]

    def update_glossary_term(self, domainIdentifier: str, identifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        term = find(domain.terms, identifier, "Glossary term")
        relations = kw.get("termRelations")
        if relations is not None:
            for related in [*relations.get("isA", []), *relations.get("classifies", [])]:
                find(domain.terms, related, "Glossary term")
            term["termRelations"] = relations or None
        for key in ("name", "shortDescription", "longDescription", "status"):
            if kw.get(key) is not None:
                term[key] = kw[key]
        return stamp(self.state, term)

    def delete_glossary_term(self, domainIdentifier: str, identifier: str) -> None:
        domain = self.state.domain(domainIdentifier)
        find(domain.terms, identifier, "Glossary term")
        del domain.terms[identifier]
