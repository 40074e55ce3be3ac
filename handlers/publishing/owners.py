"""Who owns a DataZone project for publishing: the policy's owners, and its DataZone owners and contributors."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot.audit import AuditLog
from bot.authz import ALLOW, Access, Decision, Rule
from bot.aws import AwsClients
from bot.directory import GroupDirectory
from bot.errors import NotAllowed

PUBLISHING_DESIGNATIONS = ("PROJECT_OWNER", "PROJECT_CONTRIBUTOR")


def _identities(profile: dict[str, Any]) -> tuple[str, ...]:
    details = profile.get("details") or {}
    iam, sso = details.get("iam") or {}, details.get("sso") or {}
    found = (profile.get("id"), sso.get("username"), iam.get("arn"))
    return tuple(value for value in found if isinstance(value, str) and value)


class Owners:
    """Answers whether a Slack user may publish for a project."""

    def __init__(self, access: Access, groups: GroupDirectory, aws: AwsClients) -> None:
        self._access = access
        self._groups = groups
        self._aws = aws

    def in_policy(self, user_id: str, project_id: str) -> bool:
        """The policy names the user among the project's owners."""
        project = self._access.policy.projects.get(project_id)
        if project is None:
            return False
        owners = project.owners
        return user_id in owners.users or self._groups.is_member(user_id, owners.usergroups)

    def in_datazone(self, user_id: str, domain_id: str, project_id: str) -> bool:
        """A DataZone owner or contributor of the project is mapped to the user by the policy's `people`."""
        if user_id not in self._access.policy.people:
            return False
        dz = self._aws.client("datazone")
        for page in dz.get_paginator("list_project_memberships").paginate(
            domainIdentifier=domain_id, projectIdentifier=project_id
        ):
            for member in page.get("members") or []:
                user = (member.get("memberDetails") or {}).get("user") or {}
                if member.get("designation") not in PUBLISHING_DESIGNATIONS or not user.get("userId"):
                    continue
                try:
                    profile = dz.get_user_profile(domainIdentifier=domain_id, userIdentifier=user["userId"])
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                        raise
                    profile = {"id": user["userId"]}
                if self._access.policy.slack_user_for(_identities(profile)) == user_id:
                    return True
        return False

    def may_publish(self, user_id: str, domain_id: str, project_id: str) -> bool:
        """An owner or contributor of the project, by policy or by DataZone membership (admins aside)."""
        return self.in_policy(user_id, project_id) or self.in_datazone(user_id, domain_id, project_id)

    def require(self, audit: AuditLog, user_id: str, domain_id: str, project_id: str, action: str, target: str) -> bool:
        """True for owners, False for admins who are not owners; NotAllowed (audited) for anyone else."""
        if self.may_publish(user_id, domain_id, project_id):
            return True
        if self._access.is_admin(user_id):
            return False
        audit.record(actor=user_id, action=action, target=target, result="denied", detail="not a project owner")
        project = self._access.policy.projects.get(project_id)
        label = project.name if project and project.name else project_id
        raise NotAllowed(f"Only the owners and contributors of {label} (or opsbot admins) can do this.")


def publisher(groups: GroupDirectory) -> Rule:
    """Anyone who could own a project (policy owners, approvers, people mapped to DataZone), and admins."""

    def rule(access: Access, user_id: str, _body: dict[str, Any]) -> Decision:
        policy = access.policy
        if access.is_admin(user_id) or user_id in policy.people or access.approver_projects(user_id):
            return ALLOW
        for project in policy.projects.values():
            if user_id in project.owners.users or groups.is_member(user_id, project.owners.usergroups):
                return ALLOW
        return Decision(
            False, "Only project owners and contributors (mapped in the policy file) or opsbot admins can do this."
        )

    return rule
