"""Approval chains: the steps a reviewed request goes through, which one waits, who may approve it, and how the
card and the pings name them.

The policy's rule for a classification lists the steps; without one a request has a single step, the owning
project's approvers. Earlier steps approve in Slack only; the last step's approval accepts in DataZone, and its
approver chooses the duration and the asset filters (it grants the access, so it chooses what is granted).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.authz import Access
from bot.policy import ApprovalStep
from bot.wording import when
from handlers.subscriptions.store import CardStore, StepApproval


@dataclass(frozen=True)
class Chain:
    """A request's steps, those approved so far, and so the one waiting."""

    steps: tuple[ApprovalStep, ...]
    approved: tuple[StepApproval, ...]
    owner_project_id: str

    @property
    def current(self) -> int:
        """The index of the step that waits; the last one at most (a policy reloaded with fewer steps mid-chain
        leaves the request at its new last step)."""
        return min(len(self.approved), len(self.steps) - 1)

    @property
    def position(self) -> int:
        """How many steps are approved: the card's own step, which a decision is claimed at. It is past `current`
        only when the policy was reloaded with fewer steps than the request has already been through."""
        return len(self.approved)

    @property
    def is_chain(self) -> bool:
        """More than one step, or steps approved under a longer chain the policy has since shortened: the card and the
        modal say which step, and nobody who approved one approves another."""
        return len(self.steps) > 1 or bool(self.approved)

    @property
    def at_last_step(self) -> bool:
        """The step waiting is the last: its approval accepts in DataZone."""
        return self.current >= len(self.steps) - 1

    def approvers_so_far(self) -> set[str]:
        """Who approved an earlier step: nobody approves two steps of one request."""
        return {row.approved_by for row in self.approved}


def chain_of(access: Access, cards: CardStore, request_id: str, classification: str | None, owner: str) -> Chain:
    """The request's chain as the policy has it now, with the approvals recorded so far."""
    steps = access.policy.subscriptions.steps_for(classification)
    return Chain(steps, tuple(cards.approvals(request_id)), owner)


def step_name(chain: Chain, index: int, access: Access) -> str:
    """ "step 2 of 2 (data protection)"; a single step has no name of its own."""
    if index >= len(chain.steps):
        # Approved under a longer chain than the policy has now.
        return f"step {index + 1} (of a chain since shortened)"
    step = chain.steps[index]
    label = step.label or (_project_label(access, chain.owner_project_id) if step.project_approvers else "")
    return f"step {index + 1} of {len(chain.steps)}" + (f" ({label})" if label else "")


def _project_label(access: Access, owner: str) -> str:
    project = access.policy.projects.get(owner)
    return f"{project.name if project and project.name else owner} approvers"


def may_approve_step(access: Access, user_id: str, step: ApprovalStep, owner: str) -> bool:
    """Whether the user approves this step: its named people, or the owning project's approvers; admins always."""
    if access.is_admin(user_id):
        return True
    if step.project_approvers:
        return access.is_approver(user_id, owner)
    return step.approvers is not None and access.is_among(user_id, step.approvers)


def names_a_step(access: Access, user_id: str) -> bool:
    """Whether some chain's step names the user among its approvers (not as a project's approver)."""
    return any(access.is_among(user_id, people) for people in access.policy.subscriptions.named_step_approvers())


def mentions(access: Access, step: ApprovalStep, owner: str) -> str:
    """The step's approvers as Slack mentions (users and user groups), for pings and the card."""
    people = step.approvers
    if step.project_approvers:
        project = access.policy.projects.get(owner)
        people = project.approvers if project else None
    if people is None:
        return "approvers"
    said = [f"<@{u}>" for u in people.users] + [f"<!subteam^{g}>" for g in people.usergroups]
    return " ".join(said) or "approvers"


def progress(chain: Chain, access: Access, waiting: bool = True) -> list[str]:
    """One line per step: approved (who, when), waiting (whose turn) or still to come; nothing for a single step.

    `waiting=False` for a request no longer waiting on anyone (decided): the steps not reached are left out."""
    if not chain.is_chain:
        return []
    lines = []
    for index in range(max(len(chain.steps), chain.position)):
        name = _upper_first(step_name(chain, index, access))
        if index < chain.position:
            row = chain.approved[index]
            lines.append(f":white_check_mark: {name}: approved by <@{row.approved_by}> at {when(row.approved_at)}")
        elif not waiting:
            break
        elif index == chain.current:
            whom = mentions(access, chain.steps[index], chain.owner_project_id)
            lines.append(f":hourglass_flowing_sand: {name}: waiting for {whom}")
        else:
            lines.append(f":white_circle: {name}: after the step before")
    if waiting and chain.position > chain.current:
        # The policy now has fewer steps than were approved: its last step decides (and grants), once more.
        whom = mentions(access, chain.steps[chain.current], chain.owner_project_id)
        name = _upper_first(step_name(chain, chain.current, access))
        lines.append(f":hourglass_flowing_sand: {name}, as the policy now stands: waiting for {whom}")
    return lines


def _upper_first(text: str) -> str:
    # Not str.capitalize: it would lower a label's own capitals ("Sales producer" stays as written).
    return text[:1].upper() + text[1:]


def history(chain: Chain, access: Access) -> str:
    """ "step 1 of 2 (…) approved by <@U…>": what the chain had done, for a request decided mid-chain."""
    return "; ".join(
        f"{step_name(chain, index, access)} approved by <@{row.approved_by}>"
        for index, row in enumerate(chain.approved)
    )
