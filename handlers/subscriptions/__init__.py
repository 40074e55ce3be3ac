"""DataZone subscription requests: cards, decisions, access, time-bound access and revocation; for consumers, their
own requests and subscriptions, and giving access back."""

from functools import partial
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler

from bot.authz import anyone, project_approver
from bot.capability import Capability
from bot.commands import Handler
from bot.inbox import datazone_events
from bot.kernel import Kernel
from bot.registry import Registry
from bot.settings import Settings
from handlers.subscriptions import (
    authority,
    buttons,
    commands,
    events,
    expiry,
    home,
    ids,
    messages,
    modals,
    owners,
    review_buttons,
    review_job,
)
from handlers.subscriptions.doctor import check_domain
from handlers.subscriptions.flows import subscriptions
from handlers.subscriptions.intake import sweep
from handlers.subscriptions.probes import PROBES
from scheduler.tasks import Task, schedule

# EventBridge delivers DataZone events best-effort; the sweep catches what it drops within this time.
SWEEP_MINUTES = 10
SWEEP = "subscriptions.sweep"
# Reviews are counted in days: an hourly look is early enough for a reminder or a deadline.
REVIEWS_MINUTES = 60


def register(registry: Registry) -> None:
    """Register /subscriptions, the buttons and modals, the renewal flow, events, and the Home section."""
    flows = subscriptions(registry.kernel)
    messages.register_callbacks(flows.messages, flows.cards)
    forms: dict[str, Handler] = {name: partial(form, flows) for name, form in _FORMS.items()}
    registry.command(commands.router(forms))
    on = partial(registry.on_event, datazone_events.SOURCE)
    on(datazone_events.service_event(events.CREATED), partial(events.on_created, flows))
    for decided in events.DECIDED:
        on(datazone_events.service_event(decided), partial(events.on_decided, flows))
    # A request's approvers are those of some step that could apply to it: the owning project's, and whoever a
    # chain's steps name; may_decide checks the step the request waits on.
    request_button = authority.request_decider(owners.of_button(ids.RequestRef))
    registry.action(ids.APPROVE, request_button, partial(buttons.open_approve_modal, flows))
    registry.action(ids.REJECT, request_button, partial(buttons.open_reject_modal, flows))
    modal_rule = authority.request_decider(owners.of_modal)
    registry.view(ids.APPROVE_MODAL, modal_rule, partial(modals.submit_approval, flows), check=modals.scope_chosen)
    registry.view(ids.REJECT_MODAL, modal_rule, partial(modals.submit_rejection, flows), check=modals.reason_given)
    # Asking is harmless and the approvers decide, so anyone who holds the reminder may ask.
    registry.action(ids.RENEW, anyone, partial(buttons.renew, flows))
    registry.action(ids.EXTEND, project_approver(owners.of_button(ids.AccessRef)), partial(buttons.extend, flows))
    revoke_rule = project_approver(owners.of_button(ids.RevokeRef))
    registry.action(ids.CONFIRM_REVOKE, revoke_rule, partial(buttons.confirm_revoke, flows))
    # Leaving is for people the policy maps to DataZone (and admins); whose project it is, DataZone says when the
    # listener checks the subscription itself.
    registry.action(ids.LEAVE, authority.consumer, partial(buttons.ask_leave, flows))
    registry.action(ids.CONFIRM_LEAVE, authority.consumer, partial(buttons.confirm_leave, flows))
    registry.action(ids.CANCEL, anyone, buttons.cancel)
    # An access review card is the owning project's approvers' to answer (and admins'); the listener checks
    # again against the owner the bot stored for each subscription, not the one the button says.
    review_rule = project_approver(owners.of_button(ids.ReviewRef))
    for action_id in ids.REVIEW_ACTIONS:
        registry.action(action_id, review_rule, partial(review_buttons.decide, flows))
    # The pending form answers anyone (a reader hears that nothing waits for them), but a list with page
    # buttons is only ever drawn for an approver (of a project or a chain's step) or an admin: so they alone may
    # turn its pages.
    for action_id in ids.PENDING_PAGES.action_ids:
        registry.action(action_id, authority.any_decider, partial(buttons.turn_pending, flows))
    for action_id in ids.ACCESS_PAGES.action_ids:
        registry.action(action_id, commands.router().form("access").rule, partial(buttons.turn_access, flows))
    # The consumer's list answers anyone (someone unknown hears how to be mapped), but a list with page buttons
    # is only ever drawn for someone the policy maps to DataZone: so they (and admins) alone may turn its pages,
    # and always see their own.
    for action_id in ids.MINE_PAGES.action_ids:
        registry.action(action_id, authority.consumer, partial(buttons.turn_mine, flows))
    registry.home_section("Subscription requests", partial(home.pending_approvals, flows))
    registry.home_section("Your data subscriptions", partial(home.my_access, flows))


_FORMS = {
    "pending": commands.pending,
    "show": commands.show,
    "approve": commands.approve,
    "reject": commands.reject,
    "access": commands.access,
    "revoke": commands.revoke,
    "mine": commands.mine,
    "leave": commands.leave,
    "reviews": review_buttons.list_open,
}


def tasks(kernel: Kernel) -> dict[str, Task]:
    """The stored tasks of this capability, bound to its ports; each is idempotent (a job may run twice)."""
    flows = subscriptions(kernel)
    return {
        SWEEP: partial(sweep, flows),
        expiry.EXPIRE: partial(expiry.expire, flows),
        expiry.REMIND: partial(expiry.remind, flows),
        review_job.REVIEWS: partial(review_job.tick, flows),
    }


def jobs(scheduler: BaseScheduler, settings: Settings) -> list[str]:
    """The sweep of the configured domain, and the hourly access reviews job (it starts due campaigns, reminds and
    settles deadlines); time-bound access schedules its own one-off jobs."""
    domain = settings.datazone_domain_id
    if not domain:
        return []
    return [
        schedule(scheduler, SWEEP, SWEEP, "interval", domain, minutes=SWEEP_MINUTES).id,
        schedule(scheduler, review_job.REVIEWS, review_job.REVIEWS, "interval", domain, minutes=REVIEWS_MINUTES).id,
    ]


# Its own tables' Alembic branch ("subscriptions"); its older tables are in the kernel's chain.
MIGRATIONS = Path(__file__).with_name("migrations")

CAPABILITY = Capability(
    "subscriptions",
    register=register,
    tasks=tasks,
    jobs=jobs,
    probes=PROBES,
    doctor=check_domain,
    migrations=MIGRATIONS,
)

__all__ = ["CAPABILITY", "register", "tasks"]
