"""Scoped approval end to end: an approver grants only some of an asset's filters, by the modal or the command; the
policy can require it. The real app over the sandbox's DataZone (customer_pii has a row and a column filter)."""

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_app
from bot.arguments import parse
from bot.deps import build_deps
from bot.errors import BadInput
from bot.inbox.service import build_inbox
from bot.policy import Policy, load_policy
from bot.settings import load_settings
from handlers.subscriptions import ids
from handlers.subscriptions.arguments import ApproveArgs
from opsbot.capabilities import CAPABILITIES
from sandbox.runtime import SIGNING_SECRET
from sandbox.slack_requests import SlackRequests
from sandbox.world import DOMAIN_ID
from tests.handlers.subscriptions.helpers import card, command, event, reply, request, status
from tests.harness import BoltDriver, eventually

USAGE = "/subscriptions approve <request-id> [filter=<name>[,<name>…]] [<N>d] [comment]"


def _scope(detail):
    return detail["subscribedListings"][0]["item"]["assetListing"].get("assetScope")


def _open_approve_modal(bot, driver, request_id, user="U0ALICE"):
    _, buttons = card(bot, request_id)
    before = len(bot["box"].slack.calls_to("views.open"))
    driver.click(ids.APPROVE, user=user, value=buttons[ids.APPROVE])
    eventually(lambda: len(bot["box"].slack.calls_to("views.open")) > before)
    return bot["box"].slack.calls_to("views.open")[-1].body["view"]


def _submit_approval(driver, modal, user="U0ALICE", filter_ids=()):
    values = {ids.COMMENT_BLOCK: {ids.COMMENT_ACTION: {"type": "plain_text_input", "value": "for the campaign"}}}
    if filter_ids:
        chosen = [{"text": {"type": "plain_text", "text": f}, "value": f} for f in filter_ids]
        values[ids.SCOPE_BLOCK] = {ids.SCOPE_ACTION: {"type": "multi_static_select", "selected_options": chosen}}
    return driver.submit(
        ids.APPROVE_MODAL,
        user=user,
        values=values,
        private_metadata=modal["private_metadata"],
        blocks=modal["blocks"],  # Slack sends the view back as it was opened
    )


def _dm(bot, user, predicate):
    return bot["box"].slack.wait_for(
        "chat.postMessage", lambda c: c.body.get("channel") == user and predicate(c.body.get("text", ""))
    )


def test_approving_customer_pii_with_one_filter_grants_only_that_filter(bot):
    world = bot["box"].world
    request_id = request(bot, as_user="maria")
    bot["inbox"].handle(event(request_id))
    modal = _open_approve_modal(bot, bot["driver"], request_id)
    scope_block = next(b for b in modal["blocks"] if b.get("block_id") == ids.SCOPE_BLOCK)
    assert scope_block["optional"] is True  # the sandbox policy does not require a scope
    offered = {o["text"]["text"]: o["value"] for o in scope_block["element"]["options"]}
    assert offered == world.filters

    _submit_approval(bot["driver"], modal, filter_ids=[world.filters["eu_customers"]])
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    scope = _scope(status(bot, request_id))
    assert scope["assetId"] == world.assets["customer_pii"] and scope["filterIds"] == [world.filters["eu_customers"]]
    update = bot["box"].slack.wait_for("chat.update", lambda c: request_id in json.dumps(c.body.get("blocks")))
    assert "scope: eu_customers" in json.dumps(update.body["blocks"])
    assert "scope: eu_customers" in _dm(bot, "U0MARIA", lambda t: "customer_pii" in t and "accepted" in t).body["text"]

    subscription = bot["dz"].list_subscriptions(domainIdentifier=DOMAIN_ID, subscriptionRequestIdentifier=request_id)[
        "items"
    ][0]["id"]
    command(bot, "access customer_pii", "U0MARIA")
    listing = reply(bot, lambda t: "Access to customer_pii" in t and subscription in t)
    [line] = [b["text"]["text"] for b in listing.body["blocks"] if subscription in json.dumps(b)]
    assert line.endswith("scope: eu_customers")


def test_approving_by_command_with_filters_by_name(bot):
    world = bot["box"].world
    request_id = request(bot, as_user="maria")
    command(bot, f"approve {request_id} filter=eu_customers,contact_columns 30d ok for Q4", "U0ALICE")
    reply(bot, lambda t: "Approved the request" in t and "customer_pii" in t)
    detail = status(bot, request_id)
    assert detail["status"] == "ACCEPTED" and "ok for Q4" in detail["decisionComment"]
    assert _scope(detail)["filterIds"] == [world.filters["eu_customers"], world.filters["contact_columns"]]
    command(bot, f"show {request_id}", "U0ALICE")
    shown = reply(bot, lambda t: f"Subscription request {request_id}" in t)
    assert "scope: eu_customers, contact_columns" in json.dumps(shown.body["blocks"])


def test_an_unknown_filter_name_gets_the_usage_and_nothing_is_decided(bot):
    request_id = request(bot, as_user="maria")
    command(bot, f"approve {request_id} filter=us_customers", "U0ALICE")
    told = reply(bot, lambda t: "us_customers" in t)
    text = json.dumps(told.body)
    assert "`eu_customers`" in text and "`contact_columns`" in text and "Usage:" in text
    assert status(bot, request_id)["status"] == "PENDING"
    assert all(entry.target != request_id for entry in bot["deps"].audit.recent(action="subscriptions.approve"))


@pytest.fixture
def app_with_rules(bot, tmp_path):
    """A second app over the same sandbox, its policy's classification rules changed as the test says."""
    opened = []

    def start(**rules):
        policy = load_policy(Path(os.environ["OPSBOT_CONFIG"])).model_dump()
        policy["subscriptions"]["rules"].update(rules)
        changed = tmp_path / f"policy{len(opened)}.yml"
        changed.write_text(json.dumps(policy))  # JSON is YAML
        database = f"sqlite:///{tmp_path / f'bot{len(opened)}.db'}"
        settings_ = load_settings(_env_file=None, database_url=database, config=changed)
        deps = build_deps(settings_)
        deps.db.migrate(CAPABILITIES)
        opened.append(deps)
        app = build_app(settings_, deps, CAPABILITIES)
        return {"deps": deps, "inbox": build_inbox(deps), "driver": BoltDriver(app, SlackRequests(SIGNING_SECRET))}

    yield start
    for deps in opened:
        deps.close()


@pytest.fixture
def scoped(app_with_rules):
    """An app whose policy requires a scope for confidential data."""
    return app_with_rules(confidential={"route": "review", "require_scope": True})


def test_without_filters_the_modal_looks_as_before_and_approves_the_whole_asset(bot, app_with_rules):
    reviewed = app_with_rules(internal="review")  # so mkt_sls_table, which has no filters, gets a card
    request_id = request(bot, asset="mkt_sls_table", as_user="maria")
    reviewed["inbox"].handle(event(request_id))
    modal = _open_approve_modal(bot, reviewed["driver"], request_id)
    assert [b["block_id"] for b in modal["blocks"]] == [ids.DAYS_BLOCK, ids.COMMENT_BLOCK]
    _submit_approval(reviewed["driver"], modal)
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    assert _scope(status(bot, request_id)) is None
    update = bot["box"].slack.wait_for("chat.update", lambda c: request_id in json.dumps(c.body.get("blocks")))
    assert "scope: whole asset" in json.dumps(update.body["blocks"])


def test_require_scope_refuses_an_unscoped_modal_approval_and_keeps_the_modal_open(bot, scoped):
    request_id = request(bot, as_user="maria")
    scoped["inbox"].handle(event(request_id))
    modal = _open_approve_modal(bot, scoped["driver"], request_id)
    scope_block = next(b for b in modal["blocks"] if b.get("block_id") == ids.SCOPE_BLOCK)
    assert scope_block["optional"] is False
    response = _submit_approval(scoped["driver"], modal)
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors" and ids.SCOPE_BLOCK in answer["errors"]
    assert status(bot, request_id)["status"] == "PENDING"

    _submit_approval(scoped["driver"], modal, filter_ids=[bot["box"].world.filters["contact_columns"]])
    eventually(lambda: status(bot, request_id)["status"] == "ACCEPTED")
    assert _scope(status(bot, request_id))["filterIds"] == [bot["box"].world.filters["contact_columns"]]


def test_require_scope_refuses_an_unscoped_command_approval(bot, scoped):
    request_id = request(bot, as_user="maria")
    url = bot["box"].slack.response_url()
    scoped["driver"].command("/subscriptions", f"approve {request_id} looks fine", user="U0ALICE", response_url=url)
    told = reply(bot, lambda t: "cannot be approved whole" in t)
    assert "`eu_customers`" in json.dumps(told.body)
    assert status(bot, request_id)["status"] == "PENDING"


def test_require_scope_cannot_be_given_to_automatic_approval():
    with pytest.raises(ValueError, match="require_scope"):
        Policy.model_validate(
            {"subscriptions": {"rules": {"public": {"route": "auto_approve", "require_scope": True}}}}
        )
    with pytest.raises(ValueError, match="require_scop"):
        Policy.model_validate({"subscriptions": {"rules": {"secret": {"route": "review", "require_scop": True}}}})


NAME = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(NAME, min_size=1, max_size=5),
    days=st.none() | st.integers(1, 3650),
    comment=st.text(st.characters(codec="utf-8"), max_size=80),
    filters_first=st.booleans(),
)
def test_the_approve_parser_reads_filters_days_and_comment_in_either_order(names, days, comment, filters_first):
    words = [f"filter={','.join(names)}"] + ([f"{days}d"] if days else [])
    text = " ".join(["req1", *(words if filters_first else reversed(words)), comment])
    args = parse(ApproveArgs, text, USAGE)
    assert args.filters == tuple(names) and args.days == days
    # the comment is what follows, untouched (a comment that itself starts like an option is read as one)
    if (
        not comment.strip()
        or comment.split()[0].lower().startswith(("filter=", "filters="))
        or comment.split()[0][:-1].isdigit()
    ):
        return
    assert args.comment == comment.strip()


@given(text=st.text(max_size=200))
def test_the_approve_parser_never_fails_but_with_a_usage(text):
    try:
        args = parse(ApproveArgs, text, USAGE)
    except BadInput as refused:
        assert "Usage:" in refused.message
    else:
        assert all(name and len(name) <= 64 for name in args.filters)
