"""An approver's queue: the pending requests whose waiting step the user may decide, and which step that is.

DataZone lists the PENDING requests; which step of a chain waits is the bot's own record (the approvals so far), and
which chain a request goes through follows from its asset's classification, which the card keeps from intake. So a
queue is one DataZone listing and two database reads, however long it is, rather than one DataZone call per request
to read its classification. The classification, not the steps, is what the card keeps: the steps are the policy's
as it stands now, as they are when a step is decided. Only a card recorded before cards kept the classification is
read from DataZone, once, and its classification recorded; and a request not carded yet (its event not handled) is
read only when some chain of the policy starts with named people rather than the project's approvers.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from bot.authz import Access
from bot.policy import ONE_STEP, ApprovalStep, ClassificationRule
from handlers.subscriptions.chains import Chain, may_approve_step, mentions, names_a_step, step_name
from handlers.subscriptions.flows import Subscriptions
from handlers.subscriptions.service import PendingSummary
from handlers.subscriptions.store import RequestCard

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Waiting:
    """A request in someone's queue; in a chain, the step waiting ("step 2 of 2 (data protection)") and, for an
    admin, whose step it is (mentions)."""

    summary: PendingSummary
    step: str = ""
    whom: str = ""


def approves_anything(access: Access, user_id: str) -> bool:
    """Whether the user may decide some step of some request: an admin, a project's approver, or named by a step."""
    return access.is_admin(user_id) or bool(access.approver_projects(user_id)) or names_a_step(access, user_id)


def queue_of(flows: Subscriptions, domain_id: str, user_id: str) -> list[Waiting]:
    """The pending requests waiting for `user_id`, oldest first: those whose waiting step they may decide and did
    not approve an earlier step of; every request for an admin. A request not carded yet (no event handled) waits
    on its chain's first step."""
    access = flows.access
    admin = access.is_admin(user_id)
    # A step naming people waits in any project's requests; a project approver's steps only in their projects'.
    everywhere = admin or names_a_step(access, user_id)
    summaries = flows.requests.pending(domain_id, None if everywhere else access.approver_projects(user_id))
    request_ids = [summary.request_id for summary in summaries]
    cards = flows.cards.cards_of(request_ids)
    approvals = flows.cards.approvals_of(request_ids)
    named_first = _a_chain_starts_with_named_people(flows)
    queue = []
    for summary in summaries:
        card = cards.get(summary.request_id)
        if card is None:
            first = _first_step(flows, domain_id, summary) if named_first else ONE_STEP[0]
            if admin or may_approve_step(access, user_id, first, summary.owner_project_id):
                queue.append(Waiting(summary))
            continue
        chain = Chain(
            access.policy.subscriptions.steps_for(_classification(flows, card)),
            tuple(approvals.get(summary.request_id, ())),
            card.owner_project_id or summary.owner_project_id,
        )
        if admin or _waits_for(access, user_id, chain):
            queue.append(_line(access, summary, chain, admin))
    return queue


def _a_chain_starts_with_named_people(flows: Subscriptions) -> bool:
    # Otherwise every request's first step is its project's approvers, whatever its classification.
    return any(
        isinstance(rule, ClassificationRule) and rule.steps and not rule.steps[0].project_approvers
        for rule in flows.access.policy.subscriptions.rules.values()
    )


def _first_step(flows: Subscriptions, domain_id: str, summary: PendingSummary) -> ApprovalStep:
    """The first step of a request not carded yet, read from DataZone for its classification (such requests are
    few: intake cards each within seconds of its event, and the sweep cards those whose event was lost)."""
    policy = flows.access.policy.subscriptions
    try:
        classification = flows.requests.load(domain_id, summary.request_id).verdict.classification
    except Exception:  # one unreadable request must not empty the queue: its project's approvers still see it
        log.exception("subscription_queue_unclassified", request=summary.request_id)
        return ONE_STEP[0]
    return policy.steps_for(classification)[0]


def _waits_for(access: Access, user_id: str, chain: Chain) -> bool:
    # As the decision itself checks: the waiting step's approver, and nobody who approved an earlier one.
    step = chain.steps[chain.current]
    return may_approve_step(access, user_id, step, chain.owner_project_id) and user_id not in chain.approvers_so_far()


def _line(access: Access, summary: PendingSummary, chain: Chain, admin: bool) -> Waiting:
    if not chain.is_chain:
        return Waiting(summary)
    whom = mentions(access, chain.steps[chain.current], chain.owner_project_id) if admin else ""
    return Waiting(summary, step_name(chain, chain.current, access), whom)


def _classification(flows: Subscriptions, card: RequestCard) -> str | None:
    """The card's classification; a card from before cards kept it is read from DataZone once and recorded (or,
    DataZone unreadable now, taken to be one step: the project's approvers still see it)."""
    if card.classification is not None:
        return card.classification
    try:
        found = flows.requests.load(card.domain_id, card.request_id).verdict.classification or ""
    except Exception:  # one unreadable request must not empty the queue
        log.exception("subscription_queue_unclassified", request=card.request_id)
        return None
    flows.cards.classified(card.request_id, found)
    return found
