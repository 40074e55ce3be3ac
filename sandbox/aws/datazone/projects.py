"""Emulated DataZone domains, projects, memberships and user profiles."""

from __future__ import annotations

from typing import Any

from sandbox.aws.datazone import events
from sandbox.aws.datazone.state import Record, State, find, paged, stamp
from sandbox.aws.restjson import conflict


class ProjectHandlers:
    """GetDomain; projects (create, get, list); memberships (create, list); user profiles (get)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def get_domain(self, identifier: str) -> Record:
        domain = self.state.domain(identifier)
        return {
            "id": domain.id,
            "name": domain.name,
            "status": "AVAILABLE",
            "createdAt": domain.created_at,
            "domainExecutionRole": "arn:aws:iam::123456789012:role/AmazonDataZoneDomainExecution",
            "arn": f"arn:aws:datazone:eu-west-1:123456789012:domain/{domain.id}",
            "portalUrl": f"https://{domain.id}.datazone.eu-west-1.on.aws",
            "domainVersion": "V1",
        }

    def create_project(self, domainIdentifier: str, name: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        if any(p["name"] == name for p in domain.projects.values()):
            raise conflict(f"A project named {name} already exists")
        for term in kw.get("glossaryTerms") or []:
            # DataZone refuses a project tagged with a term the domain does not have.
            find(domain.terms, term, "Glossary term")
        project = stamp(
            self.state,
            {
                "domainId": domain.id,
                "id": self.state.new_id(),
                "name": name,
                "description": kw.get("description"),
                "projectStatus": "ACTIVE",
                "glossaryTerms": kw.get("glossaryTerms"),
            },
            created=True,
        )
        project["lastUpdatedAt"] = project["updatedAt"]
        domain.projects[project["id"]] = project
        domain.memberships[project["id"]] = [
            {"memberDetails": {"user": {"userId": self.state.caller}}, "designation": "PROJECT_OWNER"}
        ]
        events.minimal(self.state, domain, project, project["id"], "Project Creation Succeeded")
        return project

    def update_project(self, domainIdentifier: str, identifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        project = find(domain.projects, identifier, "Project")
        if kw.get("name") and any(p["name"] == kw["name"] and p is not project for p in domain.projects.values()):
            raise conflict(f"A project named {kw['name']} already exists")
        for term in kw.get("glossaryTerms") or []:
            find(domain.terms, term, "Glossary term")
        for key in ("name", "description", "glossaryTerms"):
            if kw.get(key) is not None:
                project[key] = kw[key]
        stamp(self.state, project)
        # DataZone sends no event of its own for a project update: only CloudTrail's UpdateProject reports it.
        project["lastUpdatedAt"] = project["updatedAt"]
        return project

    def get_project(self, domainIdentifier: str, identifier: str) -> Record:
        return find(self.state.domain(domainIdentifier).projects, identifier, "Project")

    def list_projects(self, domainIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        items = [p for p in domain.projects.values() if not kw.get("name") or p["name"] == kw["name"]]
        if kw.get("userIdentifier"):
            items = [
                p
                for p in items
                if any(
                    (m["memberDetails"].get("user") or {}).get("userId") == kw["userIdentifier"]
                    for m in domain.memberships.get(p["id"], [])
                )
            ]
        return paged("items", items, kw.get("maxResults"), kw.get("nextToken"))

    def create_project_membership(
        self, domainIdentifier: str, projectIdentifier: str, member: Record, designation: str, **kw: Any
    ) -> Record:
        domain = self.state.domain(domainIdentifier)
        project = find(domain.projects, projectIdentifier, "Project")
        if "userIdentifier" in member:
            details = {"user": {"userId": find(domain.users, member["userIdentifier"], "User profile")["id"]}}
        else:
            details = {"group": {"groupId": member.get("groupIdentifier", "")}}
        members = domain.memberships.setdefault(project["id"], [])
        existing = next((m for m in members if m["memberDetails"] == details), None)
        members[:] = [m for m in members if m["memberDetails"] != details]
        members.append({"memberDetails": details, "designation": designation})
        if existing is None or existing["designation"] != designation:
            change = "Addition" if existing is None else "Role Change"
            events.minimal(self.state, domain, project, project["id"], f"Project Member {change} Succeeded")
        return {}

    def list_project_memberships(self, domainIdentifier: str, projectIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        project = find(domain.projects, projectIdentifier, "Project")
        return paged("members", domain.memberships.get(project["id"], []), kw.get("maxResults"), kw.get("nextToken"))

    def get_user_profile(self, domainIdentifier: str, userIdentifier: str, **kw: Any) -> Record:
        domain = self.state.domain(domainIdentifier)
        return find(domain.users, userIdentifier, "User profile")
