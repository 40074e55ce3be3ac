"""Data consumers in Slack: `/subscriptions mine` (their projects' requests and subscriptions) and leaving."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.arguments import parse
from handlers.subscriptions import ids
from handlers.subscriptions.arguments import LeaveArgs
from handlers.subscriptions.store import ENDED, AccessStore
from sandbox.runtime import ANALYST, APPROVER
from sandbox.world import DOMAIN_ID
from tests.handlers.subscriptions.helpers import card, command, event, reply, request, status, submit
from tests.harness import eventually

# Nobody the sandbox policy's `people` map knows, and no admin.
STRANGER = "U0STRANGER"
LEAVE_USAGE = "/subscriptions leave <subscription-id>"


def _approved_for_30_days(bot):
    """Maria asks for the confidential asset; Alice approves it on the card for 30 days. Its subscription id."""
    request_id = request(bot, as_user="maria")
    bot["inbox"].handle(event(request_id))
    _, buttons = card(bot, request_id)
    bot["driver"].click(ids.APPROVE, user=APPROVER, value=buttons[ids.APPROVE])
    modal = bot["box"].slack.wait_for("views.open", lambda c: request_id in c.body["view"]["private_metadata"])
    thirty = {"type": "static_select", "selected_option": {"value": "30"}}
    submit(
        bot,
        APPROVER,
        ids.APPROVE_MODAL,
        modal.body["view"]["private_metadata"],
        "for the autumn campaign",
        ids.COMMENT_BLOCK,
        ids.COMMENT_ACTION,
        extra={ids.DAYS_BLOCK: {ids.DAYS_ACTION: thirty}},
    )
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    eventually(lambda: bot["deps"].audit.recent(action="subscriptions.approve"))
    subscription = bot["dz"].list_subscriptions(domainIdentifier=DOMAIN_ID, subscriptionRequestIdentifier=request_id)[
        "items"
    ][0]["id"]
    eventually(lambda: AccessStore(bot["deps"].db).get(subscription) is not None)
    return request_id, subscription


def _subscription_status(bot, subscription):
    return bot["dz"].get_subscription(domainIdentifier=DOMAIN_ID, identifier=subscription)["status"]


def _line(body, subscription):
    return next(b for b in body["blocks"] if b["type"] == "section" and subscription in b["text"]["text"])


def test_mine_shows_the_approval_and_leave_cancels_it_for_a_member(bot):
    _, subscription = _approved_for_30_days(bot)
    ends = AccessStore(bot["deps"].db).get(subscription).expires_at

    command(bot, "mine", ANALYST)
    listing = reply(bot, lambda t: "of your projects" in t and subscription in t).body
    line = _line(listing, subscription)
    text = line["text"]["text"]
    assert "customer_pii" in text and "Marketing analytics" in text
    assert "accepted by <@U0ALICE>" in text and f"until {ends:%Y-%m-%d %H:%M} UTC" in text
    assert line["accessory"]["action_id"] == ids.LEAVE

    # The list's Leave button asks first; the confirm is what cancels.
    bot["driver"].click(
        ids.LEAVE, user=ANALYST, value=line["accessory"]["value"], response_url=bot["box"].slack.response_url()
    )
    prompt = reply(bot, lambda t: "Give back the access" in t and subscription in t).body
    assert prompt["replace_original"] is False
    confirm = next(b for b in prompt["blocks"] if b["type"] == "actions")["elements"]
    assert [e["action_id"] for e in confirm] == [ids.CONFIRM_LEAVE, ids.CANCEL]
    assert _subscription_status(bot, subscription) == "APPROVED"

    bot["driver"].click(
        ids.CONFIRM_LEAVE, user=ANALYST, value=confirm[0]["value"], response_url=bot["box"].slack.response_url()
    )
    eventually(lambda: _subscription_status(bot, subscription) == "CANCELLED")
    assert "is cancelled" in reply(bot, lambda t: "You gave back access" in t).body["text"]
    told = bot["box"].slack.wait_for("chat.postMessage", lambda c: "gave back" in c.body.get("text", ""))
    assert told.body["channel"] == "C0SALESDATA" and subscription in told.body["text"]
    assert "<@U0MARIA>" in told.body["text"]
    [left] = bot["deps"].audit.recent(action="subscriptions.leave")
    assert (left.actor, left.target, left.result) == (ANALYST, subscription, "ok")
    assert AccessStore(bot["deps"].db).get(subscription).status == ENDED
    assert bot["deps"].jobs.due(f"subscriptions.expire.{subscription}") is None
    assert bot["deps"].jobs.due(f"subscriptions.expiry_reminder.{subscription}") is None

    # The list now says it was cancelled, with no Leave button; leaving again is a clear answer.
    command(bot, "mine", ANALYST)
    after = _line(reply(bot, lambda t: "of your projects" in t and "cancelled" in t).body, subscription)
    assert "cancelled" in after["text"]["text"] and "accessory" not in after
    command(bot, f"leave {subscription}", ANALYST)
    assert "cancelled, not active" in reply(bot, lambda t: "not active" in t).body["text"]


def test_leave_by_command_asks_first(bot):
    _, subscription = _approved_for_30_days(bot)
    command(bot, f"leave {subscription}", ANALYST)
    prompt = reply(bot, lambda t: "Give back the access" in t and subscription in t).body
    value = next(b for b in prompt["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    assert _subscription_status(bot, subscription) == "APPROVED"
    bot["driver"].click(ids.CONFIRM_LEAVE, user=ANALYST, value=value, response_url=bot["box"].slack.response_url())
    eventually(lambda: _subscription_status(bot, subscription) == "CANCELLED")


def test_someone_outside_the_subscribing_project_is_refused_and_nothing_changes(bot):
    _, subscription = _approved_for_30_days(bot)
    # Alice is mapped and approves for the publisher, but is no member of Marketing analytics.
    command(bot, f"leave {subscription}", APPROVER)
    assert "Only members of the subscribing project" in reply(bot, lambda t: "subscribing project" in t).body["text"]
    # Nor does the confirm button work for her, even carrying the right subscription.
    value = ids.LeaveRef(domain=DOMAIN_ID, subscription=subscription).model_dump_json()
    bot["driver"].click(ids.CONFIRM_LEAVE, user=APPROVER, value=value, response_url=bot["box"].slack.response_url())
    eventually(lambda: len(bot["deps"].audit.recent(action="subscriptions.leave")) == 2)
    assert {(e.actor, e.result) for e in bot["deps"].audit.recent(action="subscriptions.leave")} == {
        (APPROVER, "denied")
    }
    assert _subscription_status(bot, subscription) == "APPROVED"
    assert AccessStore(bot["deps"].db).get(subscription).status != ENDED
    assert bot["deps"].jobs.due(f"subscriptions.expire.{subscription}") is not None


def test_a_person_without_a_mapping_is_told_how_to_get_one(bot):
    command(bot, "mine", STRANGER)
    assert "`people` map" in reply(bot, lambda t: "does not know who you are" in t).body["text"]
    # Leaving is not for them either: the declared rule refuses before anything is read.
    refused = command(bot, "leave abc123", STRANGER)
    assert "does not know who you are" in refused.body
    value = ids.LeaveRef(domain=DOMAIN_ID, subscription="abc123").model_dump_json()
    bot["driver"].click(ids.CONFIRM_LEAVE, user=STRANGER, value=value)
    eventually(lambda: bot["deps"].audit.recent(action=ids.CONFIRM_LEAVE))
    assert [(e.actor, e.result) for e in bot["deps"].audit.recent(action=ids.CONFIRM_LEAVE)] == [(STRANGER, "denied")]
    assert bot["deps"].audit.recent(action="subscriptions.leave") == []  # the listener never ran


def test_bad_input_gets_the_usage(bot):
    for text in ("leave", "leave two words", "leave no/slashes"):
        command(bot, text, ANALYST)
        assert LEAVE_USAGE in reply(bot, lambda t, text=text: "Usage" in t and "leave" in t).body["text"]
        bot["box"].slack.reset()
    command(bot, "mine everything", ANALYST)
    assert "takes only a page number" in reply(bot, lambda t: "page number" in t).body["text"]


def test_home_tab_shows_a_consumers_newest_for_them_only(bot):
    request_id = request(bot, as_user="maria")
    bot["driver"].event({"type": "app_home_opened", "user": ANALYST, "tab": "home"})
    view = bot["box"].slack.wait_for("views.publish", lambda c: c.body.get("user_id") == ANALYST).body["view"]
    assert "Your data subscriptions" in json.dumps(view)
    assert request_id in json.dumps(view)
    bot["driver"].event({"type": "app_home_opened", "user": APPROVER, "tab": "home"})
    alice = bot["box"].slack.wait_for("views.publish", lambda c: c.body.get("user_id") == APPROVER).body["view"]
    assert "Your data subscriptions" not in json.dumps(alice)  # her projects subscribe to nothing


def _ids_on(body):
    """The request or subscription id each line of a page ends with, in order."""
    lines = [b["text"]["text"] for b in body.get("blocks", []) if b["type"] == "section"]
    return [line.rsplit("`", 2)[1] for line in lines if line.endswith("`)")]


def _next_button(body):
    return next(
        (
            e
            for b in body.get("blocks", [])
            if b["type"] == "actions"
            for e in b["elements"]
            if e["text"]["text"] == "Next page"
        ),
        None,
    )


def test_mine_pages_through_every_request_and_only_for_the_presser(bot):
    asked = {request(bot, as_user="maria") for _ in range(45)}
    command(bot, "mine", ANALYST)
    body = reply(bot, lambda t: "of your projects" in t).body
    seen, pages = [], 0
    while True:
        pages += 1
        seen += _ids_on(body)
        following = _next_button(body)
        if following is None:
            break
        before = len(bot["box"].slack.calls_to("response_url"))
        if pages == 1:  # someone the policy does not know may not turn it
            bot["driver"].click(following["action_id"], user=STRANGER, value=following["value"])
        bot["driver"].click(
            following["action_id"], user=ANALYST, value=following["value"], response_url=bot["box"].slack.response_url()
        )
        eventually(lambda before=before: len(bot["box"].slack.calls_to("response_url")) > before)
        body = bot["box"].slack.calls_to("response_url")[before].body
        assert body["replace_original"] is True
    assert pages >= 2 and len(seen) == len(set(seen)) and asked <= set(seen)
    assert f"page {pages} of {pages}" in json.dumps(body)
    eventually(lambda: bot["deps"].audit.recent(action=ids.MINE_PAGES.next))
    assert [(e.actor, e.result) for e in bot["deps"].audit.recent(action=ids.MINE_PAGES.next)] == [(STRANGER, "denied")]
    command(bot, "mine page=999", ANALYST)
    assert "There is no page 999" in reply(bot, lambda t: "no page 999" in t).body["text"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=st.text(max_size=300))
def test_no_text_crashes_the_leave_parser(text):
    try:
        parsed = parse(LeaveArgs, text, LEAVE_USAGE)
    except Exception as error:
        assert type(error).__name__ == "BadInput" and "Usage:" in str(error)
    else:
        assert parsed.subscription_id == text.strip() and " " not in parsed.subscription_id


def test_leave_takes_exactly_one_id():
    assert parse(LeaveArgs, "  sub_123-a ", LEAVE_USAGE).subscription_id == "sub_123-a"
