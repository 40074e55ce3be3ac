"""Who may do what: roles from the policy, rules per action, a registry that denies by default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from bot.directory import GroupDirectory
from bot.policy import People, Policy

Kind = Literal["command", "action", "view"]


@dataclass(frozen=True)
class Decision:
    """Allowed, or refused with a reason the user can act on."""

    allowed: bool
    reason: str = ""


ALLOW = Decision(True)


class Access:
    """Answers role questions about a Slack user from the policy and group membership."""

    def __init__(self, policy: Policy, groups: GroupDirectory) -> None:
        self.policy = policy
        self._groups = groups

    def _in(self, user_id: str, people: People) -> bool:
        return user_id in people.users or self._groups.is_member(user_id, people.usergroups)

    def is_among(self, user_id: str, people: People) -> bool:
        """True if the user is one of these people, by id or user group."""
        return self._in(user_id, people)

    def is_admin(self, user_id: str) -> bool:
        """True if the user is an opsbot admin."""
        return self._in(user_id, self.policy.admins)

    def is_approver(self, user_id: str, project_id: str) -> bool:
        """True if the user approves for the DataZone project (admins do not, implicitly)."""
        project = self.policy.projects.get(project_id)
        return project is not None and self._in(user_id, project.approvers)

    def approver_projects(self, user_id: str) -> list[str]:
        """The projects the user approves for."""
        return [pid for pid in self.policy.projects if self.is_approver(user_id, pid)]

    def usergroups(self) -> list[str]:
        """Every user group the policy names: admins, approvers, owners, on-call, wherever they appear."""
        return usergroups_in(self.policy)

    def unknown_usergroups(self) -> list[str]:
        """The policy's user groups whose membership opsbot cannot vouch for right now."""
        return self._groups.unknown(self.usergroups())


def usergroups_in(policy: Policy) -> list[str]:
    """The user group ids in every `People` inside the policy, walked without knowing its layout."""
    found: set[str] = set()
    stack: list[Any] = [policy]
    while stack:
        item = stack.pop()
        if isinstance(item, People):
            found.update(item.usergroups)
        elif isinstance(item, BaseModel):
            stack.extend(getattr(item, name) for name in type(item).model_fields)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return sorted(found)


class Rule(Protocol):
    """Decides whether `user_id` may perform a request whose Slack payload is `body`."""

    # Positional-only: rules are plain functions whose parameter names say what they ignore (`_body`).
    def __call__(self, access: Access, user_id: str, body: dict[str, Any], /) -> Decision: ...


def anyone(_access: Access, _user_id: str, _body: dict[str, Any]) -> Decision:
    """Read-only: everyone in the workspace may."""
    return ALLOW


def admin(access: Access, user_id: str, _body: dict[str, Any]) -> Decision:
    """Only opsbot admins may."""
    if access.is_admin(user_id):
        return ALLOW
    return Decision(False, "Only opsbot admins can do this. The admins are listed in the policy file.")


def any_approver(access: Access, user_id: str, _body: dict[str, Any]) -> Decision:
    """Approvers of any project, and admins, may; the service then checks the specific project."""
    if access.is_admin(user_id) or access.approver_projects(user_id):
        return ALLOW
    return Decision(False, "Only DataZone project approvers listed in the policy file (or admins) can do this.")


def project_approver(project_of: Callable[[dict[str, Any]], str | None]) -> Rule:
    """The approvers of the project that `project_of` finds in the payload may (admins too)."""

    def rule(access: Access, user_id: str, body: dict[str, Any]) -> Decision:
        project_id = project_of(body)
        if project_id is not None and access.is_approver(user_id, project_id):
            return ALLOW
        if access.is_admin(user_id):
            return ALLOW
        name = access.policy.projects.get(project_id or "")
        label = (name.name if name and name.name else project_id) or "this project"
        return Decision(False, f"Only the approvers of {label} (or opsbot admins) can do this.")

    return rule


class Guards:
    """The rule for every command form, action and view; anything unlisted is refused."""

    def __init__(self) -> None:
        self._rules: dict[tuple[Kind, str], Rule] = {}

    def add(self, kind: Kind, key: str, rule: Rule) -> None:
        """Declare the rule for one command form, action id or view callback id."""
        if (kind, key) in self._rules:
            raise ValueError(f"{kind} {key!r} is guarded twice")
        self._rules[(kind, key)] = rule

    def rule_for(self, kind: Kind, key: str) -> Rule | None:
        """The declared rule, or None (which the middleware treats as deny)."""
        return self._rules.get((kind, key))
