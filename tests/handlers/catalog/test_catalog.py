"""/catalog as a data consumer: search, show, request access (button, modal, command), and link previews."""

import json

from handlers.catalog import ids
from sandbox.runtime import ADMIN, ANALYST, APPROVER, PORTAL_HOST, SALES_CHANNEL
from sandbox.slack_requests import SlackRequests
from sandbox.world import DOMAIN_ID
from tests.handlers.catalog.helpers import (
    ANALYST_ROLE,
    buttons,
    card_posted,
    catalog,
    drain,
    reply,
    requests_for,
    settle_pending,
)
from tests.sandbox_bot import CHANNEL


def _creates(bot):
    return bot["box"].datazone_service.calls.count("CreateSubscriptionRequest")


def test_search_finds_customer_pii_with_its_facts_and_buttons(bot):
    catalog(bot, "customer", ANALYST)
    answer = reply(bot, lambda text: "customer_pii" in text)
    shown = json.dumps(answer.body["blocks"])
    assert "customer_pii" in shown and "Sales producer" in shown and "confidential" in shown
    assert "quality 0.88" in shown and "Customer" in shown and "Customer contact details" in shown
    assert "mkt_sls_table" not in shown
    assert {action for action, _ in buttons(answer.body["blocks"])} == {ids.SHOW, ids.REQUEST}


def test_filters_are_words(bot):
    catalog(bot, "term:revenue class:public", ANALYST)
    shown = json.dumps(reply(bot, lambda text: "published asset" in text).body["blocks"])
    assert "store_locations" in shown and "mkt_sls_table" not in shown and "customer_pii" not in shown
    catalog(bot, 'project:"Sales producer"', ANALYST)
    assert "3 published assets found" in reply(bot, lambda text: "3 published" in text).body["text"]
    catalog(bot, "project:Nowhere", ANALYST)
    assert "No DataZone project is called" in reply(bot, lambda text: "Nowhere" in text).body["text"]


def test_bad_input_gets_the_usage_and_reaches_no_aws(bot):
    before = bot["box"].datazone_service.calls.count("SearchListings")
    catalog(bot, "term:a term:b", ANALYST)
    assert "is given twice" in reply(bot, lambda text: "twice" in text).body["text"]
    catalog(bot, "request customer_pii", ANALYST)
    assert "Give a reason" in reply(bot, lambda text: "reason" in text).body["text"]
    catalog(bot, "customer page=0", ANALYST)
    assert "Usage" in reply(bot, lambda text: "page=0" in text).body["text"]
    assert bot["box"].datazone_service.calls.count("SearchListings") == before


def test_show_has_the_forms_the_owners_and_the_callers_pending_request(bot):
    pending = requests_for(bot, "customer_pii") or [
        bot["box"]
        .client("datazone", as_user="maria")
        .create_subscription_request(
            domainIdentifier=DOMAIN_ID,
            requestReason="Email campaign",
            subscribedPrincipals=[{"project": {"identifier": bot["box"].world.consumer_project}}],
            subscribedListings=[{"identifier": bot["box"].world.listings["customer_pii"]}],
        )
    ]
    catalog(bot, "show customer_pii", ANALYST)
    shown = json.dumps(reply(bot, lambda text: "Your projects" in text).body["blocks"])
    assert "BusinessMetadata" in shown and "crm-team" in shown and "<@U0ALICE>" in shown
    assert "Marketing analytics" in shown
    assert f"request `{pending[0]['id']}` pending" in shown


def test_request_access_button_asks_datazone_and_the_approvers_get_the_card(bot):
    settle_pending(bot, "customer_pii")
    catalog(bot, "customer", ANALYST)
    value = dict(buttons(reply(bot, lambda text: "customer_pii" in text).body["blocks"]))[ids.REQUEST]
    bot["driver"].click(ids.REQUEST, user=ANALYST, value=value)
    # A loading modal opens at once (trigger_id lasts 3 seconds); the form replaces it once DataZone answered.
    loading = bot["box"].slack.wait_for("views.open")
    assert "Looking up" in json.dumps(loading.body["view"])
    update = bot["box"].slack.wait_for("views.update")
    assert update.error is None and update.body["view_id"] == loading.answer["view"]["id"]
    modal = update.body["view"]
    assert modal["callback_id"] == ids.REQUEST_MODAL and "Marketing analytics" in json.dumps(modal)
    project = bot["box"].world.consumer_project
    values = {
        ids.PROJECT_BLOCK: {ids.PROJECT_ACTION: SlackRequests.select_value(project, "Marketing analytics")},
        ids.REASON_BLOCK: {ids.REASON_ACTION: SlackRequests.text_value("Email campaign for Q1")},
    }
    bot["driver"].submit(ids.REQUEST_MODAL, user=ANALYST, values=values, private_metadata=modal["private_metadata"])
    drain(bot, lambda: requests_for(bot, "customer_pii"))
    (created,) = requests_for(bot, "customer_pii")
    assert created["requestReason"].startswith("Email campaign for Q1") and ANALYST in created["requestReason"]
    told = bot["box"].slack.wait_for("chat.postMessage", lambda c: c.body.get("channel") == ANALYST)
    assert created["id"] in told.body["text"]
    # The card comes through the subscriptions intake, from DataZone's "Subscription Request Created" event.
    drain(bot, lambda: card_posted(bot, created["id"], SALES_CHANNEL))
    assert bot["deps"].audit.recent(action="catalog.request")[0].result == "ok"


def test_an_internal_asset_asked_for_by_command_is_auto_approved_by_the_policy(bot):
    settle_pending(bot, "mkt_sls_table")
    catalog(bot, "request mkt_sls_table Campaign attribution for Q1", ANALYST)
    assert "is in DataZone" in reply(bot, lambda text: "mkt_sls_table" in text).body["text"]
    drain(bot, lambda: requests_for(bot, "mkt_sls_table", "ACCEPTED"))
    assert not requests_for(bot, "mkt_sls_table")


def test_someone_in_no_consumer_project_is_told_why_and_nothing_is_created(bot):
    before = _creates(bot)
    catalog(bot, "request customer_pii we need it", APPROVER)  # Alice is only in the owning project
    assert "not an owner or contributor" in reply(bot, lambda text: "contributor" in text).body["text"]
    response = catalog(bot, "request customer_pii we need it", ADMIN)  # Ada: no DataZone identity in the policy
    assert "add your Slack user" in response.body
    catalog(bot, "customer", ADMIN)  # anyone may search
    value = dict(buttons(reply(bot, lambda text: "published asset" in text).body["blocks"]))[ids.REQUEST]
    bot["driver"].click(ids.REQUEST, user=ADMIN, value=value, response_url=bot["box"].slack.response_url())
    assert "add your Slack user" in reply(bot, lambda text: "policy file" in text).body["text"]
    assert _creates(bot) == before and bot["box"].slack.calls_to("views.open") == []


def test_a_pasted_portal_link_unfurls_into_the_listing_card(bot):
    asset = bot["box"].world.assets["customer_pii"]
    url = f"https://{PORTAL_HOST}/projects/{bot['box'].world.consumer_project}/catalog/assets/{asset}"
    other = "https://example.com/not-ours"
    event = bot["box"].slack.share_links(CHANNEL, ANALYST, [url, other])
    assert bot["driver"].event(event).status == 200
    call = bot["box"].slack.wait_for("chat.unfurl")
    assert call.error is None and set(call.body["unfurls"]) == {url}
    shown = call.body["unfurls"][url]["blocks"]
    assert "customer_pii" in json.dumps(shown) and ids.REQUEST in dict(buttons(shown))


def test_only_links_to_published_assets_on_the_portal_unfurl(bot):
    world = bot["box"].world
    good = f"https://{PORTAL_HOST}/listings/{world.listings['store_locations']}"
    links = [
        f"https://{PORTAL_HOST}/assets/nope123",
        good,
        f"https://elsewhere.example/assets/{world.assets['customer_pii']}",
    ]
    bot["driver"].event(bot["box"].slack.share_links(CHANNEL, ANALYST, links))
    call = bot["box"].slack.wait_for("chat.unfurl")
    assert call.error is None and set(call.body["unfurls"]) == {good}
    assert "store_locations" in json.dumps(call.body["unfurls"][good])


def test_with_a_requester_role_the_request_is_made_as_the_person(bot_with_requester_role):
    bot = bot_with_requester_role
    settle_pending(bot, "store_locations")
    sts_calls = bot["box"].sts_recorder.calls
    before = len(sts_calls)
    catalog(bot, "request store_locations Opening hours for the store finder", ANALYST)
    reply(bot, lambda text: "is in DataZone" in text)
    assume = [c for c in sts_calls[before:] if c.get("Action") == "AssumeRole"]
    assert [(c["RoleArn"], c["SourceIdentity"]) for c in assume] == [(ANALYST_ROLE, ANALYST)]
    (created,) = requests_for(bot, "store_locations") or requests_for(bot, "store_locations", "ACCEPTED")
    # DataZone records the role session named after her, and the reason stays hers alone.
    assert created["createdBy"].endswith(f"assumed-role/MarketingAnalyst/opsbot-{ANALYST}")
    assert created["requestReason"] == "Opening hours for the store finder"


def test_with_several_projects_the_command_needs_project_and_the_modal_offers_them(bot):
    box = bot["box"]
    extra = bot["dz"].create_project(domainIdentifier=DOMAIN_ID, name="Finance analytics")["id"]
    bot["dz"].create_project_membership(
        domainIdentifier=DOMAIN_ID,
        projectIdentifier=extra,
        member={"userIdentifier": "usr_analyst"},
        designation="PROJECT_OWNER",
    )
    before = box.datazone_service.calls.count("CreateSubscriptionRequest")
    catalog(bot, "request customer_pii for budgets", ANALYST)
    assert "project=<name>" in reply(bot, lambda text: "several projects" in text).body["text"]
    assert box.datazone_service.calls.count("CreateSubscriptionRequest") == before
    catalog(bot, 'request customer_pii project="Finance analytics" for budgets', ANALYST)
    reply(bot, lambda text: "is in DataZone" in text)
    mine = bot["dz"].list_subscription_requests(
        domainIdentifier=DOMAIN_ID, subscribedListingId=box.world.listings["customer_pii"], owningProjectId=extra
    )["items"]
    assert len(mine) == 1
    catalog(bot, "customer", ANALYST)
    value = dict(buttons(reply(bot, lambda text: "published asset" in text).body["blocks"]))[ids.REQUEST]
    bot["driver"].click(ids.REQUEST, user=ANALYST, value=value)
    options = bot["box"].slack.wait_for("views.update").body["view"]["blocks"][1]["element"]["options"]
    assert [o["text"]["text"] for o in options] == ["Finance analytics", "Marketing analytics"]


def test_the_request_modal_refuses_someone_the_policy_does_not_map(bot):
    before = _creates(bot)
    ref = ids.ListingRef(listing_id=bot["box"].world.listings["store_locations"], name="store_locations")
    values = {
        ids.PROJECT_BLOCK: {ids.PROJECT_ACTION: SlackRequests.select_value(bot["box"].world.consumer_project)},
        ids.REASON_BLOCK: {ids.REASON_ACTION: SlackRequests.text_value("Store finder")},
    }
    answer = bot["driver"].submit(ids.REQUEST_MODAL, user=ADMIN, values=values, private_metadata=ref.model_dump_json())
    refusal = json.loads(answer.body)
    assert refusal["response_action"] == "update" and "`people` in the policy file" in json.dumps(refusal["view"])
    assert _creates(bot) == before


def test_a_page_past_the_end_says_which_is_last(bot):
    catalog(bot, "customer page=2", ANALYST)
    assert "There is no page 2" in reply(bot, lambda text: "no page 2" in text).body["text"]
