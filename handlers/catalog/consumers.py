"""Whose projects a Slack user may ask for data for: their DataZone memberships, through the policy's `people`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bot.policy import Policy

# Members who may ask for a subscription for their project (DataZone's owners and contributors).
REQUESTING_DESIGNATIONS = ("PROJECT_OWNER", "PROJECT_CONTRIBUTOR")


@dataclass(frozen=True)
class Project:
    """A DataZone project, by id and name."""

    id: str
    name: str


def _identities(profile: dict[str, Any]) -> tuple[str, ...]:
    details = profile.get("details") or {}
    iam, sso = details.get("iam") or {}, details.get("sso") or {}
    found = (profile.get("id"), sso.get("username"), iam.get("arn"))
    return tuple(value for value in found if isinstance(value, str) and value)


class Memberships:
    """Reads DataZone's project memberships and maps their users to Slack users with the policy's `people`."""

    def __init__(self, dz: Any, policy: Policy) -> None:
        self._dz = dz
        self._policy = policy

    def projects_of(self, domain_id: str, slack_user: str) -> list[Project]:
        """The projects whose owners or contributors include a DataZone user `people` maps to `slack_user`.

        DataZone lists memberships per project, not per person, so every project's members are read; a user
        profile read once per call.
        """
        if slack_user not in self._policy.people:
            return []
        profiles: dict[str, str | None] = {}
        mine = []
        for page in self._dz.get_paginator("list_projects").paginate(domainIdentifier=domain_id):
            for project in page.get("items") or []:
                if self._is_member(domain_id, project["id"], slack_user, profiles):
                    mine.append(Project(project["id"], project.get("name") or project["id"]))
        return sorted(mine, key=lambda p: p.name.lower())

    def _is_member(self, domain_id: str, project_id: str, slack_user: str, profiles: dict[str, str | None]) -> bool:
        pages = self._dz.get_paginator("list_project_memberships").paginate(
            domainIdentifier=domain_id, projectIdentifier=project_id
        )
        for page in pages:
            for member in page.get("members") or []:
                user_id = ((member.get("memberDetails") or {}).get("user") or {}).get("userId")
                if member.get("designation") not in REQUESTING_DESIGNATIONS or not user_id:
                    continue
                if user_id not in profiles:
                    profiles[user_id] = self._slack_user(domain_id, user_id)
                if profiles[user_id] == slack_user:
                    return True
        return False

    def _slack_user(self, domain_id: str, user_id: str) -> str | None:
        try:
            profile = self._dz.get_user_profile(domainIdentifier=domain_id, userIdentifier=user_id)
        except ClientError as exc:
            # One profile the bot may not read must not break /catalog for everyone: go by the id alone.
            if exc.response["Error"]["Code"] not in (
                "ResourceNotFoundException",
                "AccessDeniedException",
                "ValidationException",
            ):
                raise
            profile = {"id": user_id}
        return self._policy.slack_user_for(_identities(profile))
