"""The governance preview, publishing and unpublishing through its card, and who may press Confirm."""

import json
import uuid

from handlers.publishing import ids
from sandbox.runtime import ADMIN, ANALYST, APPROVER
from sandbox.world import DOMAIN_ID
from tests.handlers.publishing.helpers import buttons, command, listing_status, press, reply
from tests.harness import eventually


def new_asset(bot, metadata=None, terms=()):
    """An unpublished Glue table in the producer project with the given business metadata (None: no form)."""
    world = bot["box"].world
    extra = {}
    if metadata is not None:
        extra["formsInput"] = [{"formName": "BusinessMetadata", "content": json.dumps(metadata)}]
    if terms:
        extra["glossaryTerms"] = [world.glossary_terms[t] for t in terms]
    return bot["dz"].create_asset(
        domainIdentifier=DOMAIN_ID,
        name=f"t_{uuid.uuid4().hex[:8]}",
        typeIdentifier="GlueTable" if metadata is not None else "amazon.datazone.GlueTableAssetType",
        owningProjectIdentifier=world.producer_project,
        **extra,
    )


FULL = {"classification": "internal", "owner": "sales", "refresh_frequency": "daily", "data_quality_score": 0.91}


def preview_card(bot, asset, user=APPROVER, form="", by="name"):
    command(bot, f"{form} {asset[by]}".strip(), user)
    return reply(bot, lambda text: f"{'Unpublish' if form else 'Publish'} {asset['name']}?" in text)


def test_preview_shows_the_asset_and_lists_exactly_the_missing_metadata(bot):
    asset = new_asset(bot, {"classification": "internal", "owner": "", "data_quality_score": 0.42}, terms=["Revenue"])
    card = preview_card(bot, asset)
    text = json.dumps(card.body["blocks"])
    assert "Sales producer" in text and "GlueTable" in text and "Revenue" in text and "0.42" in text
    assert "not published" in text
    missing = next(b["text"]["text"] for b in card.body["blocks"] if "missing" in json.dumps(b))
    lines = [line for line in missing.splitlines() if line.startswith("•")]
    assert lines == ["• BusinessMetadata.owner", "• BusinessMetadata.refresh_frequency"]
    assert ids.CONFIRM not in buttons(card) and ids.OVERRIDE in buttons(card)


def test_an_asset_without_the_form_is_missing_the_form(bot):
    asset = new_asset(bot, None)
    card = preview_card(bot, asset, by="id")
    assert "form BusinessMetadata (owner, classification, refresh_frequency)" in json.dumps(card.body["blocks"])


def test_confirm_publishes_and_follows_the_listing_until_active_then_unpublish(bot):
    asset = new_asset(bot, FULL)
    card = preview_card(bot, asset)
    press(bot, ids.CONFIRM, buttons(card)[ids.CONFIRM], APPROVER)
    reply(bot, lambda text: "published to the catalog by <@U0ALICE> (listing active)" in text)
    assert listing_status(bot, asset["id"]) == "ACTIVE"
    entries = bot["deps"].audit.recent(action="publishing.publish")
    assert entries[0].actor == APPROVER and entries[0].target == asset["id"] and entries[0].result == "ok"

    card = preview_card(bot, asset, form="unpublish")
    press(bot, ids.CONFIRM, buttons(card)[ids.CONFIRM], APPROVER)
    reply(bot, lambda text: "unpublished by <@U0ALICE>" in text)
    assert listing_status(bot, asset["id"]) == "INACTIVE"


def test_a_non_owner_is_refused_and_nothing_changes(bot):
    asset = new_asset(bot, FULL)
    card = preview_card(bot, asset, user=ANALYST)  # anyone may look
    press(bot, ids.CONFIRM, buttons(card)[ids.CONFIRM], ANALYST)
    reply(bot, lambda text: "Only the owners and contributors of Sales producer" in text)
    assert listing_status(bot, asset["id"]) is None
    seeded = bot["box"].world.assets["store_locations"]
    command(bot, "unpublish store_locations", ANALYST)
    eventually(lambda: len(bot["box"].slack.calls_to("response_url")) >= 3)
    assert "Only the owners and contributors of Sales producer" in json.dumps(
        bot["box"].slack.calls_to("response_url")[-1].body
    )
    assert listing_status(bot, seeded) == "ACTIVE"
    denied = [e for e in bot["deps"].audit.recent() if e.result == "denied" and e.actor == ANALYST]
    assert denied


def test_missing_metadata_blocks_and_only_an_admin_overrides_with_an_audit_entry(bot):
    asset = new_asset(bot, {"classification": "internal"})
    card = preview_card(bot, asset)
    override = buttons(card)[ids.OVERRIDE]
    press(bot, ids.OVERRIDE, override, APPROVER)
    reply(bot, lambda text: "Only opsbot admins can do this" in text)
    assert listing_status(bot, asset["id"]) is None
    press(bot, ids.CONFIRM, override, APPROVER)  # a forged Confirm with the blocked asset is blocked again
    reply(bot, lambda text: "cannot be published" in text and asset["name"] in text)
    assert listing_status(bot, asset["id"]) is None
    press(bot, ids.OVERRIDE, override, ADMIN)
    reply(bot, lambda text: "published to the catalog by <@U0ADA>" in text)
    eventually(lambda: listing_status(bot, asset["id"]) == "ACTIVE")
    entry = bot["deps"].audit.recent(action="publishing.override")[0]
    assert entry.actor == ADMIN and "BusinessMetadata.owner" in entry.detail["missing"]


def test_cancel_drops_the_card(bot):
    asset = new_asset(bot, FULL)
    card = preview_card(bot, asset)
    press(bot, ids.CANCEL, buttons(card)[ids.CANCEL], ANALYST)
    reply(bot, lambda text: '"delete_original": true' in text)
    assert listing_status(bot, asset["id"]) is None


def test_unknown_assets_and_bad_input_get_a_clear_answer(bot):
    command(bot, "no_such_table", APPROVER)
    reply(bot, lambda text: "No asset with the id or name 'no_such_table'" in text)
    command(bot, "unpublish", APPROVER)
    reply(bot, lambda text: "Give a asset" in text or "Give an asset" in text)
