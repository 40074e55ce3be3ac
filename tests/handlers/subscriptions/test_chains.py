"""Approval chains end to end: the sandbox's policy approves confidential data in two steps, the producer's
approvers and then data protection (the S0DATAPROTECT user group: Ada). The real app over the sandbox's DataZone
and fake Slack."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from slack_sdk import WebClient

from bot.authz import Access
from bot.directory import GroupDirectory
from bot.policy import MAX_APPROVAL_STEPS, ApprovalStep, ClassificationRule, People, Policy, load_policy
from handlers.subscriptions import ids
from handlers.subscriptions.chains import Chain, history, progress
from handlers.subscriptions.flows import subscriptions
from handlers.subscriptions.intake import follow_up
from handlers.subscriptions.store import StepApproval
from sandbox.runtime import ADMIN, ANALYST, APPROVER, APPROVERS_GROUP, DATA_PROTECTION_GROUP
from sandbox.world import DOMAIN_ID
from tests.handlers.subscriptions.helpers import card, command, event, reply, request, status
from tests.harness import eventually
from tests.sandbox_bot import policy_variant, single_step_policy, wired

# Someone in the data protection group who approves for no project: the declared rule must still let her click.
DORA = "U0DORA"
# A second approver of the producer project, who is not in data protection.
BOB = "U0BOB"


@pytest.fixture
def chained(box, tmp_path, monkeypatch):
    """The app wired to the sandbox with the sandbox's own policy (its two-step chain for confidential data), and
    Dora in data protection and Bob among the producer's approvers for the test's length."""
    for user, name in ((DORA, "dora"), (BOB, "bob")):
        box.slack.workspace.users[user] = {"id": user, "name": name, "real_name": name.capitalize()}
    groups = box.slack.workspace.usergroups
    saved = {name: list(groups[name]) for name in (DATA_PROTECTION_GROUP, APPROVERS_GROUP)}
    groups[DATA_PROTECTION_GROUP] = [*saved[DATA_PROTECTION_GROUP], DORA]
    groups[APPROVERS_GROUP] = [*saved[APPROVERS_GROUP], BOB]
    try:
        with wired(box, tmp_path, monkeypatch) as wired_bot:
            yield wired_bot
    finally:
        groups.update(saved)


def _accepts(bot):
    return bot["box"].datazone_service.calls.count("AcceptSubscriptionRequest")


def _open_modal(bot, user, value):
    before = len(bot["box"].slack.calls_to("views.open"))
    bot["driver"].click(ids.APPROVE, user=user, value=value)
    eventually(lambda: len(bot["box"].slack.calls_to("views.open")) > before)
    return bot["box"].slack.calls_to("views.open")[-1].body["view"]


def _approve(bot, user, modal, comment="ok"):
    values = {ids.COMMENT_BLOCK: {ids.COMMENT_ACTION: {"type": "plain_text_input", "value": comment}}}
    return bot["driver"].submit(
        ids.APPROVE_MODAL, user=user, values=values, private_metadata=modal["private_metadata"], blocks=modal["blocks"]
    )


def _ephemeral(bot, user, words):
    return bot["box"].slack.wait_for(
        "chat.postEphemeral", lambda c: c.body.get("user") == user and words in c.body.get("text", "")
    )


def _step_one_approved(bot, request_id, user=APPROVER):
    """Step one approved through the card, the modal and its thread's ping; the new card's buttons."""
    _, buttons = card(bot, request_id)
    _approve(bot, user, _open_modal(bot, user, buttons[ids.APPROVE]), "fine by sales")
    bot["box"].slack.wait_for(
        "chat.postMessage", lambda c: f"subteam^{DATA_PROTECTION_GROUP}" in c.body.get("text", "")
    )
    update = bot["box"].slack.wait_for("chat.update", lambda c: "Step 2 of 2" in json.dumps(c.body.get("blocks")))
    actions = next(b for b in update.body["blocks"] if b.get("type") == "actions")["elements"]
    return {b["action_id"]: b["value"] for b in actions}


def test_two_steps_accept_in_datazone_once_on_the_last(chained):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    call, buttons = card(bot, request_id)
    shown = json.dumps(call.body["blocks"])
    assert "Step 1 of 2 (Sales producer approvers): waiting for <@U0ALICE>" in shown
    assert "Step 2 of 2 (data protection)" in shown
    before = _accepts(bot)
    # Step one's modal says which step it approves, and chooses neither duration nor filters: the last step does.
    modal = _open_modal(bot, APPROVER, buttons[ids.APPROVE])
    drawn = json.dumps(modal["blocks"])
    drawn_ids = {b.get("block_id") for b in modal["blocks"]}
    assert "step 1 of 2" in drawn and not drawn_ids & {ids.SCOPE_BLOCK, ids.DAYS_BLOCK}
    _approve(bot, APPROVER, modal, "fine by sales")
    ping = bot["box"].slack.wait_for("chat.postMessage", lambda c: "waits for you" in c.body.get("text", ""))
    assert f"<!subteam^{DATA_PROTECTION_GROUP}>" in ping.body["text"] and ping.body.get("thread_ts")
    update = bot["box"].slack.wait_for("chat.update", lambda c: "Step 2 of 2" in json.dumps(c.body.get("blocks")))
    assert "approved by <@U0ALICE>" in json.dumps(update.body["blocks"])
    assert status(bot, request_id)["status"] == "PENDING" and _accepts(bot) == before
    eventually(lambda: [e.actor for e in bot["deps"].audit.recent(action="subscriptions.approve_step")] == [APPROVER])
    step_two = {b["action_id"]: b["value"] for b in _actions(update)}
    # Nobody approves two steps: Alice is refused at step two, and so is the command.
    bot["driver"].click(ids.APPROVE, user=APPROVER, value=step_two[ids.APPROVE])
    _ephemeral(bot, APPROVER, "nobody approves two")
    command(bot, f"approve {request_id}", APPROVER)
    reply(bot, lambda text: "nobody approves two" in text)
    # Dora approves for no project, yet data protection's step is hers: her modal grants, with the filters.
    modal = _open_modal(bot, DORA, step_two[ids.APPROVE])
    drawn_ids = {b.get("block_id") for b in modal["blocks"]}
    assert "step 2 of 2 (data protection)" in json.dumps(modal["blocks"]) and ids.SCOPE_BLOCK in drawn_ids
    _approve(bot, DORA, modal, "DPIA on file")
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    assert _accepts(bot) - before == 1
    detail = status(bot, request_id)
    assert "U0DORA" in detail["decisionComment"] and "step 1 of 2" in detail["decisionComment"]
    decided = bot["box"].slack.wait_for("chat.update", lambda c: "Accepted" in json.dumps(c.body.get("blocks")))
    face = json.dumps(decided.body["blocks"])
    assert "approved by <@U0ALICE>" in face and "<@U0DORA>" in face and '"actions"' not in face


def _actions(call):
    return next(b for b in call.body["blocks"] if b.get("type") == "actions")["elements"]


def test_each_step_refuses_those_it_is_not_for(chained):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    _, buttons = card(bot, request_id)
    # Maria approves nothing: the declared rule refuses her before anything runs.
    bot["driver"].click(ids.APPROVE, user=ANALYST, value=buttons[ids.APPROVE])
    _ephemeral(bot, ANALYST, "Only the approvers of Sales producer")
    assert "Only DataZone project approvers" in command(bot, f"approve {request_id}", ANALYST).body
    # Dora may click (the rule admits data protection), but step one is the producer's.
    bot["driver"].click(ids.APPROVE, user=DORA, value=buttons[ids.APPROVE])
    _ephemeral(bot, DORA, "waits for step 1 of 2 (Sales producer approvers)")
    bot["driver"].click(ids.REJECT, user=DORA, value=buttons[ids.REJECT])
    eventually(lambda: len(bot["deps"].audit.recent(action="subscriptions.decide")) >= 2)
    step_two = _step_one_approved(bot, request_id, user=BOB)
    # Step two is data protection's: Alice, a producer approver who approved nothing yet, is refused.
    bot["driver"].click(ids.APPROVE, user=APPROVER, value=step_two[ids.APPROVE])
    _ephemeral(bot, APPROVER, "waits for step 2 of 2 (data protection)")
    assert all(e.result == "denied" for e in bot["deps"].audit.recent(action="subscriptions.decide"))
    assert status(bot, request_id)["status"] == "PENDING"


def test_a_rejection_at_step_two_rejects_with_its_reason(chained):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    step_two = _step_one_approved(bot, request_id)
    bot["driver"].submit(
        ids.REJECT_MODAL,
        user=ADMIN,
        values={ids.REASON_BLOCK: {ids.REASON_ACTION: {"type": "plain_text_input", "value": "no DPIA yet"}}},
        private_metadata=step_two[ids.REJECT],
    )
    eventually(lambda: status(bot, request_id)["status"] == "REJECTED")
    assert "no DPIA yet" in status(bot, request_id)["decisionComment"]
    decided = bot["box"].slack.wait_for("chat.update", lambda c: "Rejected" in json.dumps(c.body.get("blocks")))
    face = json.dumps(decided.body["blocks"])
    assert "approved by <@U0ALICE>" in face and "Step 2 of 2 (data protection): rejected" in face


def test_an_earlier_step_is_approved_without_duration_or_filters(chained):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    card(bot, request_id)
    command(bot, f"approve {request_id} filter=eu_customers 30d pilot", APPROVER)
    said = reply(bot, lambda text: "without a duration or filters" in text).body["text"]
    assert "step 1 of 2 (Sales producer approvers)" in said
    assert status(bot, request_id)["status"] == "PENDING"
    assert bot["deps"].audit.recent(action="subscriptions.approve_step") == []


def test_the_first_approval_of_a_step_wins(chained):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    _, buttons = card(bot, request_id)
    modals = {user: _open_modal(bot, user, buttons[ids.APPROVE]) for user in (APPROVER, BOB)}
    barrier = threading.Barrier(2)

    def approve(user):
        barrier.wait()
        _approve(bot, user, modals[user])

    threads = [threading.Thread(target=approve, args=(user,)) for user in modals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    told = bot["box"].slack.wait_for(
        "chat.postMessage",
        lambda c: c.body.get("channel") in modals and "already approved step 1 of 2" in c.body.get("text", ""),
    )
    winner = BOB if told.body["channel"] == APPROVER else APPROVER
    assert f"<@{winner}>" in told.body["text"]
    # The winner's audit entry follows its commit, maybe after the loser was told: wait for it.
    eventually(lambda: [e.actor for e in bot["deps"].audit.recent(action="subscriptions.approve_step")] == [winner])
    assert status(bot, request_id)["status"] == "PENDING"


def test_decided_in_datazone_mid_chain_ends_the_chain_on_the_card(chained):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    step_two = _step_one_approved(bot, request_id)
    bot["dz"].reject_subscription_request(
        domainIdentifier=DOMAIN_ID, identifier=request_id, decisionComment="decided in the portal"
    )
    bot["inbox"].handle(event(request_id, "Subscription Request Rejected"))
    update = bot["box"].slack.wait_for("chat.update", lambda c: "chain ended" in json.dumps(c.body.get("blocks")))
    face = json.dumps(update.body["blocks"])
    assert "step 1 of 2 (Sales producer approvers) approved by <@U0ALICE>; then rejected in DataZone" in face
    # A click on the old card's step two is told what happened, and DataZone is not asked again.
    bot["driver"].click(ids.APPROVE, user=ADMIN, value=step_two[ids.APPROVE])
    command(bot, f"approve {request_id}", ADMIN)
    reply(bot, lambda text: "already rejected" in text)


def test_reminders_follow_the_step_waiting(chained):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    _step_one_approved(bot, request_id)
    flows = subscriptions(bot["deps"].kernel)
    # A reminder written for step one by a sweep that read the card before step one was approved marks nothing:
    # step two's reminder is still to come.
    assert not flows.cards.mark(request_id, "reminded_at", step=0)
    # Step two began just now: a day later it has waited over the policy's 24 hours, and its approvers hear.
    assert follow_up(flows, datetime.now(UTC) + timedelta(hours=1))["reminded"] == 0
    assert follow_up(flows, datetime.now(UTC) + timedelta(hours=25))["reminded"] == 1
    reminder = bot["box"].slack.wait_for("chat.postMessage", lambda c: ":alarm_clock:" in c.body.get("text", ""))
    assert f"<!subteam^{DATA_PROTECTION_GROUP}>" in reminder.body["text"]
    assert "step 2 of 2 (data protection)" in reminder.body["text"]


people = st.builds(
    People,
    users=st.lists(st.from_regex(r"U[A-Z0-9]{2,8}", fullmatch=True), max_size=2).map(tuple),
    usergroups=st.lists(st.from_regex(r"S[A-Z0-9]{2,8}", fullmatch=True), max_size=2).map(tuple),
)
raw_step = st.fixed_dictionaries(
    {},
    optional={
        "label": st.text(max_size=90),
        "project_approvers": st.booleans(),
        "approvers": people.map(lambda p: p.model_dump(mode="json")),
    },
)


@settings(max_examples=200, deadline=None)
@given(
    route=st.sampled_from(["auto_approve", "review", "deny"]),
    steps=st.one_of(st.none(), st.lists(raw_step, max_size=MAX_APPROVAL_STEPS + 2)),
)
def test_any_steps_section_validates_or_is_refused_whole(route, steps):
    raw = {"route": route, **({} if steps is None else {"steps": steps})}
    try:
        rule = ClassificationRule.model_validate(raw)
    except ValidationError:
        return
    assert route == "review" or steps is None
    policy = Policy.model_validate({"subscriptions": {"rules": {"confidential": raw}}})
    chain = policy.subscriptions.steps_for("confidential")
    assert 1 <= len(chain) <= MAX_APPROVAL_STEPS
    for step in rule.steps or ():
        named = step.approvers is not None and bool(step.approvers.users or step.approvers.usergroups)
        assert step.project_approvers != named and len(step.label) <= 80


def test_steps_refused_where_nobody_approves_and_bounded():
    for bad in (
        {"route": "auto_approve", "steps": [{"project_approvers": True}]},
        {"route": "review", "steps": []},
        {"route": "review", "steps": [{"project_approvers": True}] * (MAX_APPROVAL_STEPS + 1)},
        {"route": "review", "steps": [{"label": "nobody"}]},
        {"route": "review", "steps": [{"project_approvers": True, "approvers": {"users": ["U0ADA"]}}]},
    ):
        with pytest.raises(ValidationError):
            ClassificationRule.model_validate(bad)
    # No steps: one step, by the owning project's approvers, as before chains.
    assert Policy().subscriptions.steps_for("confidential") == (ApprovalStep(project_approvers=True),)


def test_a_step_typed_before_any_card_posts_the_card_and_pings_in_its_thread(chained):
    bot = chained
    request_id = request(bot)  # no event handled: no card yet
    command(bot, f"approve {request_id} fine by sales", APPROVER)
    reply(bot, lambda text: "You approved step 1 of 2" in text)
    posted, _ = card(bot, request_id)
    assert posted.body["channel"] == "C0SALESDATA"
    ping = bot["box"].slack.wait_for("chat.postMessage", lambda c: "waits for you" in c.body.get("text", ""))
    assert ping.body.get("thread_ts") and f"<!subteam^{DATA_PROTECTION_GROUP}>" in ping.body["text"]
    # The event arriving late cards nothing twice.
    bot["inbox"].handle(event(request_id))
    cards = [c for c in bot["box"].slack.calls_to("chat.postMessage") if request_id in json.dumps(c.body.get("blocks"))]
    assert len(cards) == 1 and status(bot, request_id)["status"] == "PENDING"


def test_a_policy_reloaded_with_fewer_steps_leaves_the_request_at_its_new_last_step(chained, box, tmp_path):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    step_two = _step_one_approved(bot, request_id)
    # A restart with a policy whose confidential rule has one step, the producer's approvers: step one is done
    # already, so the request waits on that step once more, and its last approval grants.
    bot["deps"].access.policy = load_policy(single_step_policy(box, tmp_path))
    before = _accepts(bot)
    bot["driver"].click(ids.APPROVE, user=APPROVER, value=step_two[ids.APPROVE])
    _ephemeral(bot, APPROVER, "nobody approves two")
    modal = _open_modal(bot, BOB, step_two[ids.APPROVE])
    assert ids.DAYS_BLOCK in {b.get("block_id") for b in modal["blocks"]}  # this approval grants: it chooses how long
    _approve(bot, BOB, modal, "one step now")
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    assert _accepts(bot) - before == 1
    assert "step 1 of 1 (Sales producer approvers)" in status(bot, request_id)["decisionComment"]


def test_a_chain_shortened_below_its_approvals_is_still_shown_and_named():
    owner = "sales"
    steps = (ApprovalStep(project_approvers=True),)
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    approved = tuple(StepApproval(request_id="r", step=i, approved_by=f"U0{i}", approved_at=at) for i in range(2))
    chain = Chain(steps, approved, owner)
    access = Access(Policy(admins=People(users=("U0ADMIN",))), GroupDirectory(WebClient(), ttl_seconds=60))
    assert (chain.position, chain.current, chain.at_last_step) == (2, 0, True)
    assert history(chain, access) == (
        "step 1 of 1 (sales approvers) approved by <@U00>; step 2 (of a chain since shortened) approved by <@U01>"
    )
    lines = progress(chain, access)
    assert len(lines) == 3 and "waiting for approvers" in lines[-1] and "as the policy now stands" in lines[-1]


def _replied(bot, seen):
    """The response_url reply after the `seen` ones, once it has arrived."""
    eventually(lambda: len(bot["box"].slack.calls_to("response_url")) > seen)
    return bot["box"].slack.calls_to("response_url")[seen].body


def _next_page(body):
    buttons = (e for b in body.get("blocks", []) if b["type"] == "actions" for e in b["elements"])
    return next((e for e in buttons if e["text"]["text"] == "Next page"), None)


def _queue(bot, user):
    """The user's whole `/subscriptions pending` queue, every page of it followed, as JSON text (the sandbox's
    DataZone keeps the pending requests of the module's earlier tests, so a project approver's may run long)."""
    seen = len(bot["box"].slack.calls_to("response_url"))
    command(bot, "pending", user)
    pages = [_replied(bot, seen)]
    while (following := _next_page(pages[-1])) is not None:
        seen = len(bot["box"].slack.calls_to("response_url"))
        url = bot["box"].slack.response_url()
        bot["driver"].click(following["action_id"], user=user, value=following["value"], response_url=url)
        pages.append(_replied(bot, seen))
    return json.dumps(pages)


def _home(bot, user):
    """The Home tab published for the user when they open it, as JSON text."""
    published = lambda: [c for c in bot["box"].slack.calls_to("views.publish") if c.body.get("user_id") == user]  # noqa: E731
    seen = len(published())
    bot["driver"].event({"type": "app_home_opened", "user": user, "tab": "home"})
    eventually(lambda: len(published()) > seen)
    return json.dumps(published()[seen].body["view"])


def test_data_protections_queue_holds_a_request_once_its_step_waits(chained):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    card(bot, request_id)
    # Dora approves for no project, but a step of the chain is hers: she is not turned away, and step one is not hers.
    queue = _queue(bot, DORA)
    assert "no DataZone project" not in queue and request_id not in queue
    assert request_id not in _home(bot, DORA)
    _step_one_approved(bot, request_id)
    queue = _queue(bot, DORA)
    assert request_id in queue and "at step 2 of 2 (data protection)" in queue
    home = _home(bot, DORA)
    assert request_id in home and "step 2 of 2 (data protection)" in home
    # Alice approved step one: the request waits on data protection now, not on her.
    assert request_id not in _queue(bot, APPROVER)
    # An admin sees it too, with the step that waits and whose it is.
    assert f"at step 2 of 2 (data protection), for <!subteam^{DATA_PROTECTION_GROUP}>" in _queue(bot, ADMIN)


def test_a_project_approvers_queue_names_the_step_and_drops_what_waits_on_another(chained):
    bot = chained
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    card(bot, request_id)
    uncarded = request(bot)  # no event handled yet: its project's approvers see it, as its first step
    queue = _queue(bot, APPROVER)
    assert request_id in queue and "at step 1 of 2 (Sales producer approvers)" in queue and uncarded in queue
    assert uncarded not in _queue(bot, DORA)
    # Bob approves step one: Alice approved nothing, but the step waiting is data protection's, not hers.
    _step_one_approved(bot, request_id, user=BOB)
    assert request_id not in _queue(bot, APPROVER)
    assert request_id in _queue(bot, DORA)


def test_a_request_not_carded_yet_waits_on_its_chains_first_step(chained, box, tmp_path):
    bot = chained
    # A policy whose confidential chain starts with data protection, then the producer's approvers.
    path = policy_variant(
        box, tmp_path, lambda policy: policy["subscriptions"]["rules"]["confidential"]["steps"].reverse(), "first.yaml"
    )
    bot["deps"].access.policy = load_policy(path)
    uncarded = request(bot)  # no event handled: no card, so the queue reads its classification
    assert uncarded in _queue(bot, DORA)
    assert uncarded not in _queue(bot, APPROVER)


def test_someone_who_approves_no_project_and_no_step_is_told_so(chained):
    queue = _queue(chained, ANALYST)
    assert "You approve for no DataZone project and no approval step" in queue
    assert "Subscription requests" not in _home(chained, ANALYST)


def test_a_card_from_before_cards_kept_the_classification_is_read_from_datazone_once(chained):
    bot = chained
    request_id = request(bot)
    cards = subscriptions(bot["deps"].kernel).cards
    # A card as a release before the classification column left it, its first step since approved by Alice.
    assert cards.claim(DOMAIN_ID, request_id, owner_project_id=bot["box"].world.producer_project, classification=None)
    assert cards.approve_step(request_id, 0, APPROVER, "fine by sales")
    calls = bot["box"].datazone_service.calls
    before = calls.count("GetSubscriptionRequestDetails")
    queue = _queue(bot, DORA)
    assert request_id in queue and "at step 2 of 2 (data protection)" in queue
    assert calls.count("GetSubscriptionRequestDetails") - before == 1
    assert cards.get(request_id).classification == "confidential"
    assert request_id in _queue(bot, DORA)
    assert calls.count("GetSubscriptionRequestDetails") - before == 1


def test_a_step_approver_who_approves_no_project_turns_the_pages_of_her_queue(chained):
    bot = chained
    cards = subscriptions(bot["deps"].kernel).cards
    owner = bot["box"].world.producer_project
    # More than a page of requests at data protection's step, carded and approved at step one as intake and Alice
    # would have left them.
    waiting = {request(bot) for _ in range(41)}
    for request_id in waiting:
        assert cards.claim(DOMAIN_ID, request_id, owner_project_id=owner, classification="confidential")
        assert cards.approve_step(request_id, 0, APPROVER, "fine by sales")
    seen = len(bot["box"].slack.calls_to("response_url"))
    command(bot, "pending", DORA)
    first = _replied(bot, seen)
    following = _next_page(first)
    url = bot["box"].slack.response_url()
    bot["driver"].click(following["action_id"], user=DORA, value=following["value"], response_url=url)
    second = _replied(bot, seen + 1)
    assert "41 pending requests" in second["text"] and second["replace_original"] is True
    listed = [b["text"]["text"].split("`")[1] for b in first["blocks"] + second["blocks"] if b["type"] == "section"]
    assert set(listed) == waiting
