"""Access reviews when things go wrong: a revoke DataZone refuses, a classification that cannot start, a decision
whose process died before carrying it out, someone vouching for their own access, subscriptions nobody can be
asked about."""

import dataclasses
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError, EndpointConnectionError

from handlers.subscriptions import ids, review_job, reviews
from handlers.subscriptions.flows import subscriptions
from handlers.subscriptions.requesters import record_requester
from handlers.subscriptions.review_failures import transient
from handlers.subscriptions.review_store import REVOKE, ReviewStore
from sandbox.runtime import ADMIN, APPROVER
from sandbox.world import DOMAIN_ID
from tests.handlers.subscriptions.helpers import reply
from tests.handlers.subscriptions.test_reviews import _click, _review_card, _status, _three_subscriptions
from tests.sandbox_bot import policy_variant, wired


def _report(bot):
    return bot["box"].slack.wait_for("chat.postMessage", lambda c: "closed*" in c.body.get("text", ""))


def test_a_revoke_datazone_refuses_is_reported_as_failed_and_the_others_are_still_revoked(bot):
    made = _three_subscriptions(bot)
    flows = subscriptions(bot["deps"].kernel)
    now = datetime.now(UTC)
    reviews.start(flows, "confidential", ADMIN, now)
    # The first unanswered revoke is refused for good (not a throttle: retrying would not help).
    bot["box"].datazone_service.fail_next("RevokeSubscription", "AccessDeniedException")
    assert review_job.tick(flows, DOMAIN_ID, now + timedelta(days=14))["settled"] == 1
    statuses = sorted(_status(bot, sub) for sub in made)
    assert statuses == ["APPROVED", "REVOKED", "REVOKED"]
    failed = next(sub for sub in made if _status(bot, sub) == "APPROVED")
    # The campaign closed, and its report says which decision was not carried out, and why.
    assert ReviewStore(bot["deps"].db).open_campaigns() == []
    text = _report(bot).body["text"]
    assert "not carried out: 1" in text and failed in text and "AccessDeniedException" in text
    assert [e.result for e in bot["deps"].audit.recent(action="subscriptions.review_unanswered")].count("failed") == 1


def test_a_classification_that_cannot_start_does_not_keep_an_open_campaign_from_settling(box, tmp_path, monkeypatch):
    def restricted_too(policy):
        policy["subscriptions"]["reviews"]["restricted"] = {"every_days": 30, "answer_days": 7, "unanswered": "keep"}

    path = policy_variant(box, tmp_path, restricted_too, "policy.yml")
    with wired(box, tmp_path, monkeypatch, OPSBOT_CONFIG=str(path)) as bot:
        made = _three_subscriptions(bot)
        flows = subscriptions(bot["deps"].kernel)
        now = datetime.now(UTC)
        reviews.start(flows, "confidential", ADMIN, now)
        # Starting the restricted review reads the domain's subscriptions, and DataZone refuses.
        box.datazone_service.fail_next("ListSubscriptions", "AccessDeniedException")
        counts = review_job.tick(flows, DOMAIN_ID, now + timedelta(days=14))
        assert (counts["started"], counts["settled"]) == (0, 1)
        assert all(_status(bot, sub) == "REVOKED" for sub in made)
        # The next run starts it.
        assert review_job.tick(flows, DOMAIN_ID, now + timedelta(days=14, hours=1))["started"] == 1


def _revoke_recorded(bot):
    """A campaign over three subscriptions in which Alice's Revoke of the first is recorded and not carried out (her
    process was killed in between): the subscriptions, the flows, the store, the campaign and when she decided."""
    made = _three_subscriptions(bot)
    flows = subscriptions(bot["deps"].kernel)
    store = ReviewStore(bot["deps"].db)
    decided = datetime.now(UTC)
    reviews.start(flows, "confidential", ADMIN, decided)
    campaign = store.open_campaigns()[0].campaign_id
    assert store.claim(campaign, made[0], REVOKE, APPROVER, decided)
    return made, flows, store, campaign, decided


def test_a_decision_whose_process_died_before_carrying_it_out_is_finished_by_the_job_once(bot):
    made, flows, store, campaign, decided = _revoke_recorded(bot)
    # Moments later whoever recorded it may still be revoking: the job leaves it.
    assert review_job.tick(flows, DOMAIN_ID, decided + timedelta(minutes=1))["finished"] == 0
    assert _status(bot, made[0]) == "APPROVED"
    # Long after, nobody is: the job carries it out, as Alice's, well before the deadline.
    assert review_job.tick(flows, DOMAIN_ID, decided + timedelta(minutes=30))["finished"] == 1
    assert _status(bot, made[0]) == "REVOKED"
    assert store.item(campaign, made[0]).outcome == "revoked"
    entry = bot["deps"].audit.recent(action="subscriptions.review_revoke")[0]
    assert (entry.actor, entry.target) == (APPROVER, made[0])
    # Carried out once: a later run finds nothing to do.
    assert review_job.tick(flows, DOMAIN_ID, decided + timedelta(hours=2))["finished"] == 0
    assert len(bot["deps"].audit.recent(action="subscriptions.review_revoke")) == 1


def test_carrying_out_a_decision_is_taken_by_one_process_only(bot):
    made, flows, store, campaign, decided = _revoke_recorded(bot)
    # Two replicas' jobs reach the interrupted decision: one takes it.
    later = decided + timedelta(minutes=30)
    assert store.begin(campaign, made[0], later, later - reviews.STALE)
    assert not store.begin(campaign, made[0], later, later - reviews.STALE)
    # The one that took it is still at it (its begin is recent): the job leaves it to that one.
    assert review_job.tick(flows, DOMAIN_ID, later + timedelta(minutes=1))["finished"] == 0
    assert _status(bot, made[0]) == "APPROVED"


def test_the_subscriber_cannot_vouch_for_their_own_access_but_may_give_it_up(bot):
    made = _three_subscriptions(bot)
    own = made[0]
    request_id = bot["dz"].get_subscription(domainIdentifier=DOMAIN_ID, identifier=own)["subscriptionRequestId"]
    record_requester(bot["deps"].db, request_id, APPROVER)  # Alice asked for it through the bot
    reviews.start(subscriptions(bot["deps"].kernel), "confidential", ADMIN, datetime.now(UTC))
    _, rows = _review_card(bot)

    _click(bot, ids.REVIEW_KEEP, APPROVER, rows[own][ids.REVIEW_KEEP])
    assert reply(bot, lambda t: "You asked for this access yourself" in t)
    store = ReviewStore(bot["deps"].db)
    campaign = store.open_campaigns()[0].campaign_id
    assert store.item(campaign, own).decision is None
    assert bot["deps"].audit.recent(action="subscriptions.review_keep")[0].result == "denied"

    # Keep all keeps the others and passes over hers.
    _click(bot, ids.REVIEW_KEEP_ALL, APPROVER, rows["all"][ids.REVIEW_KEEP_ALL])
    said = reply(bot, lambda t: "Kept 2 subscriptions" in t).body["text"]
    assert "You asked for 1 subscription of them yourself" in said
    assert store.item(campaign, own).decision is None

    # Giving up her own access is fine.
    _click(bot, ids.REVIEW_REVOKE, APPROVER, rows[own][ids.REVIEW_REVOKE])
    assert reply(bot, lambda t: "Revoked 1 subscription" in t)
    assert _status(bot, own) == "REVOKED"


def test_subscriptions_nobody_can_be_asked_about_are_left_out_and_said(box, tmp_path, monkeypatch):
    producer = box.world.producer_project
    path = policy_variant(box, tmp_path, lambda policy: policy["projects"][producer].pop("channel"), "policy.yml")
    with wired(box, tmp_path, monkeypatch, OPSBOT_CONFIG=str(path)) as bot:
        _three_subscriptions(bot)
        # Neither the producer's channel nor an admin channel: no card could reach anyone.
        flows = dataclasses.replace(subscriptions(bot["deps"].kernel), admin_channel=None)
        said = reviews.start(flows, "confidential", ADMIN, datetime.now(UTC))
        assert "Left out 3 subscriptions" in said and producer in said and "no channel" in said
        assert "no active subscription to review, so it closed" in said
        started = bot["deps"].audit.recent(action="subscriptions.review_start")[0]
        assert started.detail["left_out"] == 3 and started.detail["subscriptions"] == 0


def test_revoke_all_asks_to_confirm_within_slacks_limits(bot):
    _three_subscriptions(bot)
    reviews.start(subscriptions(bot["deps"].kernel), "confidential", ADMIN, datetime.now(UTC))
    call, _ = _review_card(bot)
    all_block = next(b for b in call.body["blocks"] if b.get("block_id") == "review_all")
    revoke_all = next(e for e in all_block["elements"] if e["action_id"] == ids.REVIEW_REVOKE_ALL)
    confirm = revoke_all["confirm"]
    limits = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
    for part, limit in limits.items():
        assert confirm[part]["type"] == "plain_text" and 0 < len(confirm[part]["text"]) <= limit
    assert "3" in confirm["title"]["text"] and "customer_pii" in confirm["text"]["text"]
    # Keep all takes nothing away, so it asks nothing.
    keep_all = next(e for e in all_block["elements"] if e["action_id"] == ids.REVIEW_KEEP_ALL)
    assert "confirm" not in keep_all
    asking = [e for b in call.body["blocks"] if b.get("type") == "actions" for e in b["elements"] if "confirm" in e]
    assert asking == [revoke_all]


def test_only_errors_retrying_may_cure_leave_a_decision_for_the_next_run():
    def error(code, status):
        answer = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return ClientError(answer, "RevokeSubscription")

    assert transient(error("ThrottlingException", 429))
    assert transient(error("InternalServerException", 500))
    assert transient(error("SomethingNew", 503))
    assert transient(EndpointConnectionError(endpoint_url="https://datazone.example"))
    assert not transient(error("AccessDeniedException", 403))
    assert not transient(error("ValidationException", 400))
    assert not transient(ValueError("a bug"))
