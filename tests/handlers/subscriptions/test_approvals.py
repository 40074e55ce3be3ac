"""Subscription approvals end to end: the real app over the sandbox's DataZone and fake Slack."""

import json
import os
import threading
from pathlib import Path

from bot.app import build_app
from bot.deps import build_deps
from bot.inbox.service import build_inbox
from bot.policy import load_policy
from bot.settings import load_settings
from handlers.subscriptions import ids, tasks
from opsbot.capabilities import CAPABILITIES
from sandbox.runtime import ADMIN, ANALYST, APPROVER
from sandbox.world import DOMAIN_ID
from scheduler import build_scheduler, register_jobs
from tests.handlers.subscriptions.helpers import card, event, reply, request, status, submit
from tests.harness import eventually


def test_confidential_request_gets_one_card_in_the_projects_channel(bot):
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    bot["inbox"].handle(event(request_id))  # a second delivery under another event id
    call, buttons = card(bot, request_id)
    assert call.body["channel"] == "C0SALESDATA"
    text = json.dumps(call.body["blocks"])
    assert "customer_pii" in text and "confidential" in text and "Customer" in text
    assert set(buttons) == {ids.APPROVE, ids.REJECT}
    cards = [c for c in bot["box"].slack.calls_to("chat.postMessage") if request_id in json.dumps(c.body)]
    assert len(cards) == 1


def test_approve_through_the_modal(bot):
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    _, buttons = card(bot, request_id)
    bot["driver"].click(ids.APPROVE, user=APPROVER, value=buttons[ids.APPROVE])
    modal = bot["box"].slack.wait_for("views.open").body["view"]
    assert modal["callback_id"] == ids.APPROVE_MODAL
    submit(
        bot, APPROVER, ids.APPROVE_MODAL, modal["private_metadata"], "ok for Q4", ids.COMMENT_BLOCK, ids.COMMENT_ACTION
    )
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    assert "U0ALICE" in status(bot, request_id)["decisionComment"]
    update = bot["box"].slack.wait_for("chat.update")
    assert "Accepted" in json.dumps(update.body["blocks"]) and '"actions"' not in json.dumps(update.body["blocks"])
    reply = bot["box"].slack.wait_for("chat.postMessage", lambda c: c.body.get("thread_ts"))
    assert "accepted" in reply.body["text"]
    eventually(lambda: bot["deps"].audit.recent(action="subscriptions.approve"))
    assert bot["deps"].audit.recent(action="subscriptions.approve")[0].actor == APPROVER


def test_reject_needs_a_reason(bot):
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    _, buttons = card(bot, request_id)
    response = submit(bot, APPROVER, ids.REJECT_MODAL, buttons[ids.REJECT], " ", ids.REASON_BLOCK, ids.REASON_ACTION)
    assert json.loads(response.body)["response_action"] == "errors"
    assert status(bot, request_id)["status"] == "PENDING"
    submit(
        bot,
        APPROVER,
        ids.REJECT_MODAL,
        buttons[ids.REJECT],
        "PII needs a DPIA first",
        ids.REASON_BLOCK,
        ids.REASON_ACTION,
    )
    eventually(lambda: status(bot, request_id)["status"] == "REJECTED")
    assert "PII needs a DPIA first" in status(bot, request_id)["decisionComment"]


def test_non_approver_is_refused_and_nothing_changes(bot):
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    _, buttons = card(bot, request_id)
    bot["driver"].click(ids.APPROVE, user=ANALYST, value=buttons[ids.APPROVE])
    response = submit(bot, ANALYST, ids.APPROVE_MODAL, buttons[ids.APPROVE], "", ids.COMMENT_BLOCK, ids.COMMENT_ACTION)
    assert "Only the approvers of Sales producer" in json.dumps(json.loads(response.body))
    assert status(bot, request_id)["status"] == "PENDING"
    assert bot["box"].slack.calls_to("views.open") == []


def test_two_concurrent_approvals_make_one_datazone_call(bot):
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    _, buttons = card(bot, request_id)
    calls = bot["box"].datazone_service.calls
    before = calls.count("AcceptSubscriptionRequest")
    barrier = threading.Barrier(2)

    def approve(user):
        barrier.wait()
        submit(bot, user, ids.APPROVE_MODAL, buttons[ids.APPROVE], "", ids.COMMENT_BLOCK, ids.COMMENT_ACTION)

    threads = [threading.Thread(target=approve, args=(user,)) for user in (APPROVER, ADMIN)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    # The modal has closed, so the one who lost the race hears it in a DM: who won, and which way.
    told = bot["box"].slack.wait_for(
        "chat.postMessage",
        lambda c: c.body.get("channel") in (APPROVER, ADMIN) and "this request" in c.body.get("text", ""),
    )
    winner = ADMIN if told.body["channel"] == APPROVER else APPROVER
    assert f"<@{winner}>" in told.body["text"]
    assert "approv" in told.body["text"]
    assert calls.count("AcceptSubscriptionRequest") - before == 1


def test_decided_in_datazone_first_updates_the_card(bot):
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    _, buttons = card(bot, request_id)
    bot["dz"].reject_subscription_request(
        domainIdentifier=DOMAIN_ID, identifier=request_id, decisionComment="decided in the portal"
    )
    submit(bot, APPROVER, ids.APPROVE_MODAL, buttons[ids.APPROVE], "", ids.COMMENT_BLOCK, ids.COMMENT_ACTION)
    told = bot["box"].slack.wait_for("chat.postMessage", lambda c: c.body.get("channel") == APPROVER)
    assert "already rejected in DataZone" in told.body["text"]
    update = bot["box"].slack.wait_for("chat.update")
    assert "Rejected" in json.dumps(update.body["blocks"]) and "decided in the portal" in json.dumps(update.body)


def test_internal_data_is_approved_automatically_with_a_notice(bot):
    request_id = request(bot, asset="mkt_sls_table")
    assert bot["inbox"].handle(event(request_id)) == "handled"
    detail = status(bot, request_id)
    assert detail["status"] == "ACCEPTED" and "opsbot policy: internal data" in detail["decisionComment"]
    notice = bot["box"].slack.wait_for("chat.postMessage", lambda c: "approved automatically" in c.body.get("text", ""))
    assert notice.body["channel"] == "C0SALESDATA" and not notice.body.get("blocks")


def test_quality_gate_denies_by_policy(bot, tmp_path):
    policy_file = Path(os.environ["OPSBOT_CONFIG"])
    policy = load_policy(policy_file).model_dump()
    policy["subscriptions"]["quality"] = {"minimum": 0.9, "below": "block"}
    strict = tmp_path / "strict.yml"
    strict.write_text(json.dumps(policy))  # JSON is YAML
    settings = load_settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'strict.db'}", config=strict)
    deps = build_deps(settings)
    deps.db.migrate(CAPABILITIES)
    build_app(settings, deps, CAPABILITIES)
    try:
        request_id = request(bot, asset="customer_pii")  # quality 0.88
        build_inbox(deps).handle(event(request_id))
        detail = status(bot, request_id)
        assert detail["status"] == "REJECTED" and "below the minimum 0.9" in detail["decisionComment"]
    finally:
        deps.close()


def test_the_sweep_cards_what_events_missed_and_never_twice(bot):
    seen = request(bot)
    bot["inbox"].handle(event(seen))  # this one came by event
    missed = request(bot)  # this one's event was lost
    sweep = tasks(bot["deps"].kernel)["subscriptions.sweep"]
    first = sweep(DOMAIN_ID)
    card(bot, missed)
    again = sweep(DOMAIN_ID)
    assert first.get("carded", 0) >= 1 and again.get("carded", 0) == 0
    cards = [c for c in bot["box"].slack.calls_to("chat.postMessage") if missed in json.dumps(c.body)]
    assert len(cards) == 1
    assert len([c for c in bot["box"].slack.calls_to("chat.postMessage") if seen in json.dumps(c.body)]) == 1


def test_the_sweep_is_scheduled_for_the_configured_domain(bot):
    scheduler = build_scheduler()
    scheduler.start(paused=True)
    try:
        assert "subscriptions.sweep" in register_jobs(scheduler, bot["deps"], CAPABILITIES)
        job = scheduler.get_job("subscriptions.sweep")
        assert job.args == ("subscriptions.sweep", DOMAIN_ID)
    finally:
        scheduler.shutdown(wait=False)


def test_an_accepted_event_from_the_portal_updates_the_card(bot):
    request_id = request(bot)
    bot["inbox"].handle(event(request_id))
    card(bot, request_id)
    bot["dz"].accept_subscription_request(
        domainIdentifier=DOMAIN_ID, identifier=request_id, decisionComment="approved in the portal"
    )
    bot["inbox"].handle(event(request_id, "Subscription Request Accepted"))
    update = bot["box"].slack.wait_for("chat.update")
    assert "Accepted" in json.dumps(update.body["blocks"]) and "approved in the portal" in json.dumps(update.body)
    assert '"actions"' not in json.dumps(update.body["blocks"])


def test_pending_lists_the_approvers_queue_from_list_calls_only(bot):
    request_id = request(bot)
    calls = bot["box"].datazone_service.calls
    before = len(calls)
    response = bot["driver"].command("/subscriptions", "", user=APPROVER, response_url=bot["box"].slack.response_url())
    assert response.status == 200
    queue = reply(bot, lambda text: "pending requests" in text)
    assert request_id in json.dumps(queue.body["blocks"]) and "customer_pii" in json.dumps(queue.body["blocks"])
    assert set(calls[before:]) == {"ListSubscriptionRequests"}


def test_pending_for_someone_who_approves_nothing(bot):
    bot["driver"].command("/subscriptions", "pending", user=ANALYST, response_url=bot["box"].slack.response_url())
    assert "approve for no DataZone project" in reply(bot, lambda text: "no DataZone project" in text).body["text"]


def test_show_renders_the_card_and_refuses_a_bad_id(bot):
    request_id = request(bot)
    url = bot["box"].slack.response_url()
    bot["driver"].command("/subscriptions", f"show {request_id}", user=ANALYST, response_url=url)
    card = reply(bot, lambda text: request_id in text and "Approve" in text)
    assert "Subscription request: customer_pii" in json.dumps(card.body["blocks"])
    bot["driver"].command("/subscriptions", "show ../../etc", user=ANALYST, response_url=url)
    assert "is not a valid request id" in reply(bot, lambda text: "is not a valid request id" in text).body["text"]
    bot["driver"].command("/subscriptions", "show nosuchrequest", user=ANALYST, response_url=url)
    assert "No subscription request nosuchrequest" in reply(bot, lambda text: "nosuchrequest" in text).body["text"]
