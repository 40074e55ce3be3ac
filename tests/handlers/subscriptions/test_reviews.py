"""Access reviews: a campaign over three subscriptions (one kept, one revoked, one unanswered and revoked at the
deadline by the policy), continued by a new process over the same database; refusals; the policy section."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.app import build_app
from bot.deps import build_deps
from bot.errors import BadInput, Conflict
from bot.policy import ReviewSchedule, SubscriptionPolicy
from handlers.subscriptions import ids, owners, review_job, reviews
from handlers.subscriptions.flows import subscriptions
from handlers.subscriptions.review_store import ReviewStore
from opsbot.capabilities import CAPABILITIES
from sandbox.runtime import ADMIN, ADMIN_CHANNEL, ANALYST, APPROVER, SALES_CHANNEL
from sandbox.world import DOMAIN_ID
from tests.handlers.subscriptions.helpers import command, reply
from tests.harness import eventually


def _status(bot, subscription_id):
    return bot["dz"].get_subscription(domainIdentifier=DOMAIN_ID, identifier=subscription_id)["status"]


def _three_subscriptions(bot):
    """Exactly three active subscriptions to confidential data (earlier tests' are revoked first)."""
    dz, world = bot["dz"], bot["box"].world
    for item in dz.list_subscriptions(domainIdentifier=DOMAIN_ID, status="APPROVED")["items"]:
        dz.revoke_subscription(domainIdentifier=DOMAIN_ID, identifier=item["id"])
    made = []
    for _ in range(3):
        request = dz.create_subscription_request(
            domainIdentifier=DOMAIN_ID,
            requestReason="Quarterly churn model",
            subscribedPrincipals=[{"project": {"identifier": world.consumer_project}}],
            subscribedListings=[{"identifier": world.listings["customer_pii"]}],
        )
        dz.accept_subscription_request(domainIdentifier=DOMAIN_ID, identifier=request["id"])
        found = dz.list_subscriptions(domainIdentifier=DOMAIN_ID, subscriptionRequestIdentifier=request["id"])
        made.append(found["items"][0]["id"])
    # Internal data is not under review: a subscription to it is left out of the campaign.
    other = dz.create_subscription_request(
        domainIdentifier=DOMAIN_ID,
        requestReason="Attribution",
        subscribedPrincipals=[{"project": {"identifier": world.consumer_project}}],
        subscribedListings=[{"identifier": world.listings["mkt_sls_table"]}],
    )
    dz.accept_subscription_request(domainIdentifier=DOMAIN_ID, identifier=other["id"])
    return made


def _review_card(bot):
    """The review card posted to the producer's channel, and its row buttons' values by subscription id."""
    call = bot["box"].slack.wait_for(
        "chat.postMessage", lambda c: "Access review of customer_pii" in c.body.get("text", "")
    )
    rows = {}
    for block in call.body["blocks"]:
        if block.get("type") == "actions" and block.get("block_id", "").startswith("review_"):
            for element in block["elements"]:
                ref = ids.ReviewRef.model_validate_json(element["value"])
                rows.setdefault(ref.subscription or "all", {})[element["action_id"]] = element["value"]
    return call, rows


def _click(bot, action_id, user, value):
    return bot["driver"].click(action_id, user=user, value=value, response_url=bot["box"].slack.response_url())


def test_a_campaign_keeps_one_revokes_one_and_the_deadline_revokes_the_unanswered_after_a_restart(bot):
    kept, revoked, unanswered = _three_subscriptions(bot)
    started = datetime.now(UTC)
    said = reviews.start(subscriptions(bot["deps"].kernel), "confidential", ADMIN, started)
    assert "3 subscriptions to 1 asset" in said
    call, rows = _review_card(bot)
    assert call.body["channel"] == SALES_CHANNEL
    assert set(rows) == {kept, revoked, unanswered, "all"}
    text = json.dumps(call.body["blocks"])
    assert "<@U0ALICE>" in text and "project Marketing analytics" in text and "whole asset" in text

    _click(bot, ids.REVIEW_KEEP, APPROVER, rows[kept][ids.REVIEW_KEEP])
    _click(bot, ids.REVIEW_REVOKE, APPROVER, rows[revoked][ids.REVIEW_REVOKE])
    eventually(lambda: _status(bot, revoked) == "REVOKED")
    assert _status(bot, kept) == "APPROVED"
    # A second decision on an item already decided is told who decided, and changes nothing.
    _click(bot, ids.REVIEW_REVOKE, ADMIN, rows[kept][ids.REVIEW_REVOKE])
    assert "<@U0ALICE> already kept" in reply(bot, lambda t: "already kept" in t).body["text"]
    assert _status(bot, kept) == "APPROVED"
    # Decisions are audited with who made them.
    eventually(lambda: len(bot["deps"].audit.recent(action="subscriptions.review_revoke")) == 1)
    assert bot["deps"].audit.recent(action="subscriptions.review_revoke")[0].actor == APPROVER
    assert bot["deps"].audit.recent(action="subscriptions.review_keep")[0].target == kept

    # Open campaigns are listed for approvers, with their counts and deadline.
    command(bot, "reviews", APPROVER)
    listed = reply(bot, lambda t: "Open access reviews" in t).body
    assert "1 of 3 subscriptions awaiting a decision (kept 1, revoked 1)" in json.dumps(listed)

    campaign = ReviewStore(bot["deps"].db).open_campaigns()[0]
    assert campaign.deadline == started + timedelta(days=14)
    bot["scheduler"].shutdown()  # the bot stops; the campaign is in its database

    deps = build_deps(bot["settings"])  # a new process over the same database
    build_app(bot["settings"], deps, CAPABILITIES)  # its outbox delivers what the job enqueues
    try:
        flows = subscriptions(deps.kernel)
        # Three days before the deadline the approvers are reminded, once however often the job runs.
        almost = campaign.deadline - timedelta(days=2)
        assert review_job.tick(flows, DOMAIN_ID, almost)["reminded"] == 1
        assert review_job.tick(flows, DOMAIN_ID, almost)["reminded"] == 0
        reminder = bot["box"].slack.wait_for("chat.postMessage", lambda c: "still await" in c.body.get("text", ""))
        assert reminder.body["channel"] == SALES_CHANNEL and "1 subscription of customer_pii" in reminder.body["text"]

        later = campaign.deadline + timedelta(hours=1)
        assert review_job.tick(flows, DOMAIN_ID, later)["settled"] == 1
        assert _status(bot, unanswered) == "REVOKED"  # the policy revokes what nobody vouched for
        report = bot["box"].slack.wait_for("chat.postMessage", lambda c: "closed" in c.body.get("text", ""))
        assert report.body["channel"] == ADMIN_CHANNEL
        assert "kept: 1 · revoked: 1 · unanswered: 1" in report.body["text"]
        assert unanswered in report.body["text"]
        # The job runs again (two replicas, a retry): nothing more happens, no second report.
        assert review_job.tick(flows, DOMAIN_ID, later + timedelta(hours=1)) == {
            "started": 0,
            "reminded": 0,
            "settled": 0,
            "finished": 0,
        }
        assert (
            len([c for c in bot["box"].slack.calls_to("chat.postMessage") if "closed" in c.body.get("text", "")]) == 1
        )
        # A click on the closed campaign's card decides nothing.
        _click(bot, ids.REVIEW_KEEP, APPROVER, rows["all"][ids.REVIEW_KEEP_ALL])
        assert "closed" in reply(bot, lambda t: "nothing more can be decided" in t).body["text"]
    finally:
        deps.close()
    assert [e.target for e in bot["deps"].audit.recent(action="subscriptions.review_unanswered")] == [unanswered]


@pytest.mark.parametrize("action_id", ids.REVIEW_ACTIONS)
def test_someone_who_is_not_the_owners_approver_is_refused_and_nothing_changes(bot, action_id):
    made = _three_subscriptions(bot)
    reviews.start(subscriptions(bot["deps"].kernel), "confidential", ADMIN, datetime.now(UTC))
    _, rows = _review_card(bot)
    value = rows["all" if action_id.endswith("_all") else made[0]][action_id]
    _click(bot, action_id, ANALYST, value)
    assert reply(bot, lambda t: "Only the approvers of Sales producer" in t)
    assert ReviewStore(bot["deps"].db).tally(ReviewStore(bot["deps"].db).open_campaigns()[0].campaign_id).waiting == 3
    assert all(_status(bot, sub) == "APPROVED" for sub in made)


def test_a_button_naming_another_owner_is_checked_against_the_stored_one(bot):
    made = _three_subscriptions(bot)
    reviews.start(subscriptions(bot["deps"].kernel), "confidential", ADMIN, datetime.now(UTC))
    _, rows = _review_card(bot)
    # Maria forges the owner of a project she would approve for: the item's stored owner decides.
    forged = ids.ReviewRef.model_validate_json(rows[made[0]][ids.REVIEW_REVOKE]).model_copy(
        update={"owner": "someone-elses"}
    )
    _click(bot, ids.REVIEW_REVOKE, ANALYST, forged.model_dump_json())
    assert reply(bot, lambda t: "Only the approvers" in t)
    # The declared rule reads the owner the button names: even the real approver is refused a value naming a
    # project she does not approve for, so a forged value never reaches the listener.
    _click(bot, ids.REVIEW_REVOKE, APPROVER, forged.model_dump_json())
    assert reply(bot, lambda t: "Only the approvers of someone-elses" in t)
    assert _status(bot, made[0]) == "APPROVED"


def test_starting_needs_a_schedule_and_one_open_campaign_per_classification(bot):
    _three_subscriptions(bot)
    flows = subscriptions(bot["deps"].kernel)
    with pytest.raises(BadInput, match="schedules no access review of 'public'"):
        reviews.start(flows, "public", ADMIN, datetime.now(UTC))
    reviews.start(flows, "Confidential", ADMIN, datetime.now(UTC))
    with pytest.raises(Conflict, match="already open"):
        reviews.start(flows, "confidential", ADMIN, datetime.now(UTC))


def test_the_job_starts_a_campaign_when_one_is_due(bot):
    _three_subscriptions(bot)
    flows = subscriptions(bot["deps"].kernel)
    now = datetime.now(UTC)
    assert review_job.tick(flows, DOMAIN_ID, now)["started"] == 1  # never reviewed: due now
    campaign = ReviewStore(bot["deps"].db).open_campaigns()[0]
    review_job.settle(flows, campaign.campaign_id, now + timedelta(days=14))
    # The next is due 90 days after the last started, not before.
    assert review_job.tick(flows, DOMAIN_ID, now + timedelta(days=89))["started"] == 0
    assert review_job.tick(flows, DOMAIN_ID, now + timedelta(days=90))["started"] == 1


def test_reviews_lists_only_for_approvers_and_admins_and_takes_no_arguments(bot):
    refused = command(bot, "reviews", ANALYST)
    assert "Only DataZone project approvers" in refused.body
    command(bot, "reviews now please", ADMIN)
    assert "Usage: `/subscriptions reviews`" in reply(bot, lambda t: "Usage" in t).body["text"]


def _valid(every, answer, remind, unanswered):
    return (
        1 <= every <= 3650
        and 1 <= answer < every
        and 0 <= remind < answer
        and unanswered
        in {
            "revoke",
            "escalate",
            "keep",
        }
    )


@settings(max_examples=300, deadline=None)
@given(
    every=st.integers(-5, 4000),
    answer=st.integers(-5, 4000),
    remind=st.integers(-5, 4000),
    unanswered=st.sampled_from(["revoke", "escalate", "keep", "ignore", ""]),
    key=st.text(max_size=80),
)
def test_a_review_schedule_validates_exactly_when_its_numbers_fit_together(every, answer, remind, unanswered, key):
    raw = {"every_days": every, "answer_days": answer, "remind_before_days": remind, "unanswered": unanswered}
    ok = _valid(every, answer, remind, unanswered) and answer <= 3650 and remind <= 3650
    name = key.strip().lower()
    try:
        policy = SubscriptionPolicy.model_validate({"reviews": {key: raw}})
    except ValidationError:
        assert not ok or not name or len(name) > 64
        return
    assert ok and name and len(name) <= 64
    assert policy.reviews[name] == ReviewSchedule(**raw)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.dictionaries(st.text(max_size=20), st.text(max_size=60)).map(json.dumps)))
def test_a_review_button_value_is_a_ref_or_names_no_owner(value):
    owner = owners.of_button(ids.ReviewRef)({"actions": [{"value": value}]})
    if owner is not None:
        ref = ids.ReviewRef.model_validate_json(value)
        assert ref.owner == owner and len(ref.model_dump_json()) <= 2000


def test_opsbot_subscriptions_review_start_and_list(bot, monkeypatch):
    from click.testing import CliRunner

    from bot.cli import Composition
    from handlers.subscriptions.cli import subscriptions as cli

    _three_subscriptions(bot)
    monkeypatch.setenv("OPSBOT_DATABASE_URL", bot["settings"].database_url)
    runner = CliRunner()
    composition = Composition(CAPABILITIES)
    started = runner.invoke(cli, ["review", "start"], obj=composition)
    assert started.exit_code == 0, started.output
    assert "Started access review rv-" in started.output and "3 subscriptions" in started.output
    again = runner.invoke(cli, ["review", "start", "--classification", "confidential"], obj=composition)
    assert again.exit_code == 1 and "already open" in again.output
    unknown = runner.invoke(cli, ["review", "start", "--classification", "public"], obj=composition)
    assert unknown.exit_code == 1 and "schedules no access review of 'public'" in unknown.output
    listed = runner.invoke(cli, ["review", "list"], obj=composition)
    assert "confidential: 3 of 3 awaiting" in listed.output
    # The cards it queued are the bot's to deliver: the wired app's outbox posts them.
    _review_card(bot)


def test_unanswered_access_is_escalated_when_the_policy_says_so(box, tmp_path, monkeypatch):
    from tests.sandbox_bot import policy_variant, wired

    def escalating(policy):
        policy["subscriptions"]["reviews"]["confidential"]["unanswered"] = "escalate"

    path = policy_variant(box, tmp_path, escalating, "policy.yml")
    with wired(box, tmp_path, monkeypatch, OPSBOT_CONFIG=str(path)) as bot:
        made = _three_subscriptions(bot)
        flows = subscriptions(bot["deps"].kernel)
        now = datetime.now(UTC)
        reviews.start(flows, "confidential", ADMIN, now)
        assert review_job.tick(flows, DOMAIN_ID, now + timedelta(days=14))["settled"] == 1
        assert all(_status(bot, sub) == "APPROVED" for sub in made)  # escalated, not revoked
        report = bot["box"].slack.wait_for("chat.postMessage", lambda c: "closed" in c.body.get("text", ""))
        assert "kept: 0 · revoked: 0 · unanswered: 3" in report.body["text"]
        assert "kept and handed to the opsbot admins" in report.body["text"]
        assert "/subscriptions revoke <subscription-id>" in report.body["text"]


def test_an_asset_with_many_subscriptions_gets_cards_within_slacks_block_limit(bot):
    dz, world = bot["dz"], bot["box"].world
    _three_subscriptions(bot)
    for _ in range(20):
        request = dz.create_subscription_request(
            domainIdentifier=DOMAIN_ID,
            requestReason="Many readers",
            subscribedPrincipals=[{"project": {"identifier": world.consumer_project}}],
            subscribedListings=[{"identifier": world.listings["customer_pii"]}],
        )
        dz.accept_subscription_request(domainIdentifier=DOMAIN_ID, identifier=request["id"])
    said = reviews.start(subscriptions(bot["deps"].kernel), "confidential", ADMIN, datetime.now(UTC))
    assert "23 subscriptions to 1 asset" in said

    def cards():
        return [
            c
            for c in bot["box"].slack.calls_to("chat.postMessage")
            if "Access review of customer_pii" in c.body.get("text", "")
        ]

    eventually(lambda: len(cards()) == 2)
    assert all(len(c.body["blocks"]) <= 50 for c in cards())
    footers = sorted(json.dumps(c.body["blocks"][-1]) for c in cards())
    assert "part 1 of 2" in footers[0] and "part 2 of 2" in footers[1]
    # Keep all on the second card keeps its three, and only those.
    second = next(c for c in cards() if "part 2 of 2" in json.dumps(c.body["blocks"][-1]))
    keep_all = next(
        e["value"]
        for b in second.body["blocks"]
        if b.get("block_id") == "review_all"
        for e in b["elements"]
        if e["action_id"] == ids.REVIEW_KEEP_ALL
    )
    _click(bot, ids.REVIEW_KEEP_ALL, APPROVER, keep_all)
    assert "Kept 3 subscriptions of customer_pii" in reply(bot, lambda t: "Kept 3" in t).body["text"]
    store = ReviewStore(bot["deps"].db)
    tally = store.tally(store.open_campaigns()[0].campaign_id)
    assert (tally.kept, tally.waiting) == (3, 20)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(classification=st.text(max_size=100).filter(lambda t: t.strip().lower() != "confidential"))
def test_starting_an_unscheduled_classification_is_refused_with_the_scheduled_ones_named(bot, classification):
    with pytest.raises(BadInput, match=r"scheduled: confidential"):
        reviews.start(subscriptions(bot["deps"].kernel), classification, ADMIN, datetime.now(UTC))
    assert ReviewStore(bot["deps"].db).open_campaigns() == []
