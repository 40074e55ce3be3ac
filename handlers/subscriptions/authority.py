"""Who may decide, revoke, extend or leave access: the one check for each, with its refusal said and audited here.

Buttons and modals also carry a declared middleware rule (the owning project's approvers); that rule sees only
what the button says, so these checks run again on what DataZone (or, for time-bound access, the bot's own
record of it) says, and cover what a rule cannot know: the requester, and the IAM role the policy wants
approvers to act through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.audit import AuditLog
from bot.authz import ALLOW, Access, Decision, Rule, any_approver, project_approver
from bot.errors import NotAllowed
from handlers.subscriptions.chains import Chain, may_approve_step, mentions, names_a_step, step_name
from handlers.subscriptions.policy import self_approval


def _refuse(audit: AuditLog, user_id: str, action: str, target: str, detail: str, message: str) -> NotAllowed:
    audit.record(actor=user_id, action=action, target=target, result="denied", detail=detail)
    return NotAllowed(message)


def require_approver(
    access: Access, audit: AuditLog, user_id: str, owner_project_id: str, action: str, target: str
) -> None:
    """NotAllowed (audited) unless the user approves for the owning project or is an admin."""
    if access.is_approver(user_id, owner_project_id) or access.is_admin(user_id):
        return
    project = access.policy.projects.get(owner_project_id)
    label = project.name if project and project.name else owner_project_id
    raise _refuse(
        audit,
        user_id,
        action,
        target,
        "not an approver",
        f"Only the approvers of {label} (or opsbot admins) can do this.",
    )


def request_decider(project_of: Callable[[dict[str, Any]], str | None]) -> Rule:
    """The declared rule of a request's buttons and modals: whoever approves some step that could apply to a request
    of the owning project `project_of` finds: its approvers, the people a chain's steps name, and admins.

    Which step waits is the bot's record to say, so `may_decide` checks that step exactly."""
    of_project = project_approver(project_of)

    def rule(access: Access, user_id: str, body: dict[str, Any]) -> Decision:
        if names_a_step(access, user_id):
            return ALLOW
        return of_project(access, user_id, body)

    return rule


def any_decider(access: Access, user_id: str, body: dict[str, Any]) -> Decision:
    """The declared rule of typed decisions: approvers of any project, the people a chain's steps name, and admins;
    `may_decide` then checks the request's own step."""
    if names_a_step(access, user_id):
        return ALLOW
    return any_approver(access, user_id, body)


def may_decide(
    access: Access,
    audit: AuditLog,
    user_id: str,
    owner_project_id: str,
    request_id: str,
    requester_slack: str | None,
    chain: Chain | None = None,
    settled: bool = False,
) -> None:
    """NotAllowed (audited) unless `user_id` may decide this request at the step it waits on: that step's approver
    (or an admin), not someone who approved an earlier step, not the person who asked, and holding the IAM role
    the policy has approvers decide with."""
    action = "subscriptions.decide"
    if chain is None or not chain.is_chain:
        require_approver(access, audit, user_id, owner_project_id, action, request_id)
    else:
        _may_decide_step(access, audit, user_id, chain, request_id, settled)
    if self_approval(user_id, requester_slack):
        raise _refuse(
            audit,
            user_id,
            action,
            request_id,
            "self",
            "You asked for this access yourself, so another approver has to decide it.",
        )
    policy = access.policy.subscriptions
    if policy.require_approver_role and user_id not in policy.approver_roles:
        raise _refuse(
            audit,
            user_id,
            action,
            request_id,
            "no approver role",
            "The policy has approvers decide with their own IAM role, and none is set for you.",
        )


def _may_decide_step(
    access: Access, audit: AuditLog, user_id: str, chain: Chain, request_id: str, settled: bool
) -> None:
    action = "subscriptions.decide"
    if settled and hears_outcome(access, user_id, chain):
        return  # decided in DataZone already: nothing can be written, and an approver of any step hears the outcome
    name = step_name(chain, chain.current, access)
    if user_id in chain.approvers_so_far():
        message = f"You approved an earlier step of this request; nobody approves two, so someone else decides {name}."
        raise _refuse(audit, user_id, action, request_id, "approved an earlier step", message)
    step = chain.steps[chain.current]
    if not may_approve_step(access, user_id, step, chain.owner_project_id):
        whose = mentions(access, step, chain.owner_project_id)
        message = f"This request waits for {name}, which {whose} (or opsbot admins) decide, not you."
        raise _refuse(audit, user_id, action, request_id, f"not an approver of {name}", message)


def hears_outcome(access: Access, user_id: str, chain: Chain) -> bool:
    """Whether the user approves some step of the request (or is an admin): told who decided it, once it is."""
    return any(may_approve_step(access, user_id, step, chain.owner_project_id) for step in chain.steps)


def may_extend(
    access: Access,
    audit: AuditLog,
    user_id: str,
    subscription_id: str,
    owner_project_id: str,
    requester_slack: str | None,
) -> None:
    """NotAllowed (audited) unless `user_id` approves for the project that owns the asset (or is an admin), as the
    stored access says, and is not the person who has the access."""
    action = "subscriptions.extend"
    require_approver(access, audit, user_id, owner_project_id, action, subscription_id)
    if self_approval(user_id, requester_slack):
        message = "You asked for this access yourself, so another approver has to extend it."
        raise _refuse(audit, user_id, action, subscription_id, "self", message)


# What someone the policy's `people` map does not know is told: the README's policy section says what it holds.
NO_MAPPING = (
    "opsbot does not know who you are in DataZone, so it cannot tell which projects are yours. Ask an opsbot "
    "admin to add you to the policy file's `people` map with your DataZone identity: your SSO user name, IAM user "
    "or assumed-role session ARN, or DataZone user id."
)


def consumer(access: Access, user_id: str, _body: dict[str, Any]) -> Decision:
    """The declared rule of leaving: people the policy maps to DataZone (members of some project, maybe) and admins.

    Which project's member they are is DataZone's to say, so `may_leave` checks it on the subscription itself.
    """
    if user_id in access.policy.people or access.is_admin(user_id):
        return ALLOW
    return Decision(False, NO_MAPPING)


def may_leave(
    access: Access,
    audit: AuditLog,
    user_id: str,
    subscription_id: str,
    subscriber_project_id: str | None,
    member_of: dict[str, str],
) -> None:
    """NotAllowed (audited) unless `user_id` is a member of the subscribing project (`member_of`: their projects, as
    DataZone and the policy's `people` map say) or an admin. Only a project's subscription can be left here: one of
    a user, group or IAM principal has no project whose members could be asked."""
    action = "subscriptions.leave"
    if subscriber_project_id is None:
        message = "Only a project's subscription can be given back here; this one is not a project's."
        raise _refuse(audit, user_id, action, subscription_id, "not a project subscription", message)
    if access.is_admin(user_id) or subscriber_project_id in member_of:
        return
    message = "Only members of the subscribing project (or opsbot admins) can give this access back."
    raise _refuse(audit, user_id, action, subscription_id, "not a member of the subscribing project", message)


def may_vouch(access: Access, audit: AuditLog, user_id: str, subscription_id: str, requester_slack: str | None) -> None:
    """NotAllowed (audited) when the person keeping access in a review is the one who asked for it: nobody vouches
    for their own access. Revoking one's own is fine."""
    if self_approval(user_id, requester_slack):
        message = "You asked for this access yourself, so another approver has to vouch for it (you may revoke it)."
        raise _refuse(audit, user_id, "subscriptions.review_keep", subscription_id, "self", message)
