"""Steps the publishing tests share: typing /publish, reading replies and thread posts, pressing buttons."""

import json

from sandbox.world import DOMAIN_ID

CHANNEL = "C0SALESDATA"


def command(bot, text, user, channel=CHANNEL):
    """Run `/publish <text>` as `user` in `channel` with a response_url."""
    url = bot["box"].slack.response_url()
    bot["driver"].command("/publish", text, user=user, response_url=url, channel_id=channel)
    return url


def reply(bot, predicate, timeout=10.0):
    """The next response_url post whose JSON satisfies `predicate`."""
    return bot["box"].slack.wait_for("response_url", lambda c: predicate(json.dumps(c.body)), timeout=timeout)


def buttons(call):
    """A card's buttons by action id: their values."""
    found = {}
    for block in call.body.get("blocks") or []:
        if block.get("type") == "actions":
            found |= {b["action_id"]: b["value"] for b in block["elements"]}
    return found


def press(bot, action_id, value, user):
    """Click a button on an ephemeral card; its response_url records the answer."""
    url = bot["box"].slack.response_url()
    response = bot["driver"].click(action_id, user=user, value=value, response_url=url)
    assert response.status == 200, response.body


def posted(bot, predicate, timeout=60.0):
    """The next chat.postMessage whose JSON satisfies `predicate` (the outbox sends one a second per channel)."""
    return bot["box"].slack.wait_for("chat.postMessage", lambda c: predicate(json.dumps(c.body)), timeout=timeout)


def listing_status(bot, asset_id):
    """The asset's listing status in DataZone, or None."""
    asset = bot["dz"].get_asset(domainIdentifier=DOMAIN_ID, identifier=asset_id)
    return (asset.get("listing") or {}).get("listingStatus")
