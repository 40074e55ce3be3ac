"""What DataZone refuses for one id or one profile answers that person plainly and breaks /catalog for nobody."""

import json

from handlers.catalog import ids
from sandbox.runtime import ANALYST, APPROVER, PORTAL_HOST
from tests.handlers.catalog.helpers import catalog, reply, settle_pending
from tests.sandbox_bot import CHANNEL


def test_a_stale_or_bogus_listing_id_is_no_longer_in_the_catalog(bot):
    # DataZone answers an id it cannot parse with ValidationException, not ResourceNotFound.
    bot["box"].datazone_service.fail_next("GetListing", "ValidationException")
    value = ids.ListingRef(listing_id="bogus123", name="gone").model_dump_json()
    bot["driver"].click(ids.SHOW, user=ANALYST, value=value, response_url=bot["box"].slack.response_url())
    answer = reply(bot, lambda text: "catalog" in text).body["text"]
    assert "no longer in the catalog" in answer and "Something went wrong" not in answer


def test_an_unreadable_profile_does_not_break_asking_for_access(bot):
    settle_pending(bot, "store_locations")
    service = bot["box"].datazone_service
    before = service.calls.count("GetUserProfile")
    service.fail_next("GetUserProfile", "AccessDeniedException")
    catalog(bot, "request store_locations store finder", ANALYST)
    answer = reply(bot, lambda text: "DataZone" in text or "contributor" in text).body["text"]
    assert "Something went wrong" not in answer
    assert service.calls.count("GetUserProfile") > before  # the refused read happened and was tolerated


def test_links_in_a_channel_the_bot_is_not_in_are_left_alone(bot):
    world = bot["box"].world
    outside = f"https://{PORTAL_HOST}/listings/{world.listings['store_locations']}"
    inside = f"https://{PORTAL_HOST}/listings/{world.listings['customer_pii']}"
    event = bot["box"].slack.share_links("C0NOTJOINED", ANALYST, [outside])
    assert event["is_bot_user_member"] is False
    assert bot["driver"].event(event).status == 200
    # Then one where it is: that is the only unfurl there ever is.
    bot["driver"].event(bot["box"].slack.share_links(CHANNEL, ANALYST, [inside]))
    call = bot["box"].slack.wait_for("chat.unfurl")
    assert set(call.body["unfurls"]) == {inside}
    assert [c.body.get("channel") for c in bot["box"].slack.calls_to("chat.unfurl")] == [CHANNEL]


def test_request_access_by_someone_in_no_consumer_project_turns_the_loading_modal_into_why(bot):
    value = ids.ListingRef(listing_id=bot["box"].world.listings["customer_pii"], name="customer_pii").model_dump_json()
    bot["driver"].click(ids.REQUEST, user=APPROVER, value=value)  # Alice is only in the owning project
    loading = bot["box"].slack.wait_for("views.open")
    update = bot["box"].slack.wait_for("views.update")
    assert update.body["view_id"] == loading.answer["view"]["id"] and update.body["hash"]
    assert "not an owner or contributor" in json.dumps(update.body["view"])
