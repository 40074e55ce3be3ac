"""`/subscriptions pending` and `access` page through every item, and only those the command serves turn pages."""

import json

from handlers.subscriptions import ids
from sandbox.runtime import ADMIN, ANALYST, APPROVER
from sandbox.world import DOMAIN_ID
from tests.handlers.subscriptions.helpers import command, request
from tests.harness import eventually


def _replies(bot):
    return [c.body for c in bot["box"].slack.calls_to("response_url")]


def _next_reply(bot, seen):
    """The reply after the `seen` ones, once it has arrived."""
    eventually(lambda: len(_replies(bot)) > seen)
    return _replies(bot)[seen]


def _buttons(body):
    return {e["text"]["text"]: e for b in body.get("blocks", []) if b["type"] == "actions" for e in b["elements"]}


def _listed(body):
    """The ids a page lists: each line starts with one in backticks."""
    return [
        b["text"]["text"].split("`")[1]
        for b in body.get("blocks", [])
        if b["type"] == "section" and b["text"]["text"].startswith("`")
    ]


def _context(body):
    return " ".join(e["text"] for b in body.get("blocks", []) if b["type"] == "context" for e in b["elements"])


def _follow(bot, user, first):
    """Press Next page from the first reply until the last page; every page's ids and its context, in order."""
    pages, body, seen = [], first, len(_replies(bot))
    while True:
        pages.append((_listed(body), _context(body)))
        following = _buttons(body).get("Next page")
        if following is None:
            return pages
        bot["driver"].click(
            following["action_id"], user=user, value=following["value"], response_url=bot["box"].slack.response_url()
        )
        body = _next_reply(bot, seen)
        seen += 1
        assert body["replace_original"] is True


def _pending_ids(bot):
    items = bot["dz"].get_paginator("list_subscription_requests").paginate(domainIdentifier=DOMAIN_ID, status="PENDING")
    return {item["id"] for page in items for item in page["items"]}


def _labels(total, size=40):
    """What the pages of a list of `total` say about where they are."""
    pages = -(-total // size)
    return [
        f"{start + 1}\u2013{min(start + size, total)} of {total}, page {start // size + 1} of {pages}"
        for start in range(0, total, size)
    ]


def test_every_pending_request_is_reachable_by_following_the_pages(bot):
    seeded = {request(bot) for _ in range(120)}
    expected = _pending_ids(bot)  # the sandbox's own pending requests, and any an earlier test left, are in it too
    assert seeded <= expected
    command(bot, "pending", APPROVER)
    first = _next_reply(bot, 0)
    assert first["replace_original"] is False and "Previous page" not in _buttons(first)
    pages = _follow(bot, APPROVER, first)
    assert [context.split(", oldest")[0] for _, context in pages] == _labels(len(expected))
    listed = [request_id for ids_on_page, _ in pages for request_id in ids_on_page]
    assert len(listed) == len(set(listed))
    assert set(listed) == expected


def test_a_page_is_asked_for_by_number_and_past_the_last_is_told(bot):
    for _ in range(45):
        request(bot)
    total = len(_pending_ids(bot))
    last = -(-total // 40)
    command(bot, f"pending page={last}", ADMIN)
    shown = _next_reply(bot, 0)
    assert _labels(total)[-1] in _context(shown) and len(_listed(shown)) == total - (last - 1) * 40
    assert set(_buttons(shown)) == {"Previous page"}
    assert "Unknown subcommand `page=3`" in command(bot, "page=3 pending", ADMIN).body  # the form comes first
    command(bot, f"pending page={last + 1}", ADMIN)
    answer = _next_reply(bot, 1)["text"]
    assert f"There is no page {last + 1}: there are {total} pending requests on {last} pages." in answer
    assert f"`/subscriptions pending page={last}` shows the last." in answer
    command(bot, "pending page=two", ADMIN)
    assert "`page=two` is not a page number" in _next_reply(bot, 2)["text"]


def test_a_reader_cannot_turn_an_approvers_page_and_nothing_changes(bot):
    for _ in range(45):
        request(bot)
    command(bot, "pending", APPROVER)
    first = _next_reply(bot, 0)
    following = _buttons(first)["Next page"]
    bot["driver"].click(
        ids.PENDING_PAGES.next, user=ANALYST, value=following["value"], response_url=bot["box"].slack.response_url()
    )
    eventually(lambda: bot["deps"].audit.recent(action=ids.PENDING_PAGES.next))
    assert bot["deps"].audit.recent(action=ids.PENDING_PAGES.next)[0].result == "denied"
    refusal = _next_reply(bot, 1)
    assert "Only DataZone project approvers" in refusal["text"] and refusal["replace_original"] is False
    assert "blocks" not in refusal  # told why, beside the page; no page drawn in its place
    assert len(_replies(bot)) == 2


def test_everyone_with_access_to_an_asset_is_reachable_page_by_page(bot):
    for _ in range(45):
        bot["dz"].accept_subscription_request(domainIdentifier=DOMAIN_ID, identifier=request(bot))
    command(bot, "access customer_pii", ANALYST)
    pages = _follow(bot, ANALYST, _next_reply(bot, 0))
    active = bot["dz"].get_paginator("list_subscriptions").paginate(domainIdentifier=DOMAIN_ID, status="APPROVED")
    expected = {
        item["id"] for page in active for item in page["items"] if item["subscribedListing"]["name"] == "customer_pii"
    }
    assert len(expected) >= 45
    assert [context.split(", oldest")[0] for _, context in pages] == _labels(len(expected))
    listed = [subscription for ids_on_page, _ in pages for subscription in ids_on_page]
    assert len(listed) == len(set(listed)) and set(listed) == expected
    assert json.loads(_buttons(_replies(bot)[-1])["Previous page"]["value"]) == {"asset": "customer_pii", "offset": 0}


def test_the_home_tab_points_at_the_paged_queue(bot):
    for _ in range(6):
        request(bot)
    bot["driver"].event({"type": "app_home_opened", "user": APPROVER, "tab": "home"})
    view = bot["box"].slack.wait_for("views.publish", lambda c: c.body.get("user_id") == APPROVER).body["view"]
    hidden = len(_pending_ids(bot)) - 5
    assert f"and {hidden} more: `/subscriptions pending` pages through them all" in json.dumps(view)
