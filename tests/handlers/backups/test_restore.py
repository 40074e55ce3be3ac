"""Restore into an empty second domain: plan, confirm, apply in dependency order, RTO; twice changes nothing."""

import json

import pytest

from handlers.backups.catalog import CatalogReader
from handlers.backups.engine import FULL
from sandbox.runtime import ADMIN
from sandbox.world import DOMAIN_ID, RECOVERY_DOMAIN_ID, REPLICA_REGION
from tests.handlers.backups.helpers import command, reply
from tests.harness import eventually


def _by_name(snapshot, kind):
    return {e.name: e for e in snapshot.entities[kind]}


@pytest.mark.usefixtures("leading")
def test_restore_into_an_empty_domain_reproduces_the_catalog_and_is_idempotent(bot):
    bot["service"].run(FULL, "test")
    dz, slack = bot["dz"], bot["box"].slack
    # The plan reads the replica region's copy, as after losing the primary region.
    command(bot, f"restore plan {RECOVERY_DOMAIN_ID} region={REPLICA_REGION}", ADMIN)
    planned = reply(bot, lambda b: "Restore plan" in b)
    text = json.dumps(planned.body)
    assert "assets: 3 to create" in text and "glossary terms: 2 to create" in text and "form types: 1 to create" in text
    plan_id = text.split("Restore plan `")[1].split("`")[0]
    command(bot, f"restore apply {plan_id}", ADMIN)
    confirm = reply(bot, lambda b: "backups.apply_plan" in b)
    button = next(b for b in confirm.body["blocks"] if b["type"] == "actions")["elements"][0]
    slack.workspace.join("C0OPS")
    bot["driver"].click(
        "backups.apply_plan", user=ADMIN, value=button["value"], response_url=slack.response_url(), channel_id="C0OPS"
    )
    # Progress lines go out at Slack's pace, one a second in the channel, before the final update.
    done = slack.wait_for("chat.update", lambda c: "RTO" in c.body.get("text", ""), timeout=90)
    assert "10 created, 0 updated" in done.body["text"]
    assert any("assets: done" in c.body.get("text", "") for c in slack.calls_to("chat.postMessage"))

    # Published assets are published again (listings take a moment to become active).
    eventually(lambda: len(CatalogReader(dz, RECOVERY_DOMAIN_ID).listing_statuses()) == 3)
    source, target = CatalogReader(dz, DOMAIN_ID).read(), CatalogReader(dz, RECOVERY_DOMAIN_ID).read()
    for kind in ("PROJECT", "FORM_TYPE", "ASSET_TYPE", "GLOSSARY"):
        assert set(_by_name(source, kind)) == set(_by_name(target, kind)), kind
    assert (
        _by_name(target, "FORM_TYPE")["BusinessMetadata"].body["model"]
        == _by_name(source, "FORM_TYPE")["BusinessMetadata"].body["model"]
    )
    terms = _by_name(target, "TERM")
    assert {t: terms[t].body["shortDescription"] for t in terms} == {
        t: e.body["shortDescription"] for t, e in _by_name(source, "TERM").items()
    }
    target_assets, source_assets = _by_name(target, "ASSET"), _by_name(source, "ASSET")
    assert set(target_assets) == set(source_assets)
    for name, asset in source_assets.items():
        restored = target_assets[name]
        assert restored.body["forms"] == asset.body["forms"]
        assert restored.body["externalIdentifier"] == asset.body["externalIdentifier"]
        assert {terms_name(target, t) for t in restored.body["glossaryTerms"]} == {
            terms_name(source, t) for t in asset.body["glossaryTerms"]
        }
        assert restored.body["listingStatus"] == "ACTIVE"
        assert restored.id != asset.id  # a new domain, new ids

    # A second restore finds nothing to do, and applying it changes nothing.
    calls_before = len(bot["box"].datazone_service.calls)
    again = bot["service"].plan(RECOVERY_DOMAIN_ID, ADMIN)
    summary = json.loads(again.summary)
    assert all(set(actions) == {"unchanged"} for kind, actions in summary.items() if kind != "SUBSCRIPTION")
    result = bot["service"].apply(again.plan_id, ADMIN)
    assert (result.created, result.updated, result.failed) == (0, 0, [])
    writes = [
        c for c in bot["box"].datazone_service.calls[calls_before:] if c.startswith(("Create", "Update", "Delete"))
    ]
    assert writes == []
    # A plan applies once.
    command(bot, f"restore apply {again.plan_id}", ADMIN)
    reply(bot, lambda b: "is applied; make a new plan" in b)


def terms_name(snapshot, term_id):
    return next(e.name for e in snapshot.entities["TERM"] if e.id == term_id)


def test_a_plan_for_an_unknown_domain_or_without_a_backup_says_so(bot):
    command(bot, "restore plan dzd_nowhere", ADMIN)
    reply(bot, lambda b: "The backup table holds nothing" in b)
    bot["service"].run(FULL, "test")
    command(bot, "restore plan dzd_nowhere", ADMIN)
    reply(bot, lambda b: "DataZone has no domain dzd_nowhere" in b)
    command(bot, "restore apply plan-00000000ff", ADMIN)
    reply(bot, lambda b: "No restore plan `plan-00000000ff`" in b)
    command(bot, "restore plan not-a-domain", ADMIN)
    reply(bot, lambda b: "is not a DataZone domain id" in b)


def test_a_restore_puts_back_what_drifted_in_the_target(bot):
    """Entities the target holds but changed since (a glossary, a term, an asset's form) are updated back."""
    service, dz = bot["service"], bot["dz"]
    service.run(FULL, "test")
    service.apply(service.plan(RECOVERY_DOMAIN_ID, ADMIN).plan_id, ADMIN)  # in step first (whatever ran before)
    target = CatalogReader(dz, RECOVERY_DOMAIN_ID).read()
    glossary = next(e for e in target.entities["GLOSSARY"] if e.body.get("description"))
    term = next(e for e in target.entities["TERM"] if e.body.get("shortDescription"))
    asset = next(e for e in target.entities["ASSET"] if e.body["forms"])
    form = asset.body["forms"][0]
    dz.update_glossary(domainIdentifier=RECOVERY_DOMAIN_ID, identifier=glossary.id, description="Drifted")
    dz.update_glossary_term(
        domainIdentifier=RECOVERY_DOMAIN_ID,
        identifier=term.id,
        shortDescription="Drifted",
        longDescription="Added in the target only",  # the backup has none: the restore clears it
    )
    dz.create_asset_revision(
        domainIdentifier=RECOVERY_DOMAIN_ID,
        identifier=asset.id,
        name=asset.name,
        formsInput=[{"formName": form["formName"], "typeIdentifier": form["typeName"], "content": '{"drifted": 1}'}],
    )

    plan = service.plan(RECOVERY_DOMAIN_ID, ADMIN)
    summary = json.loads(plan.summary)
    assert {kind: summary[kind].get("update") for kind in ("GLOSSARY", "TERM", "ASSET")} == {
        "GLOSSARY": 1,
        "TERM": 1,
        "ASSET": 1,
    }
    result = service.apply(plan.plan_id, ADMIN)
    assert (result.created, result.updated, result.failed) == (0, 3, [])

    restored = CatalogReader(dz, RECOVERY_DOMAIN_ID).read()
    source = CatalogReader(dz, DOMAIN_ID).read()
    for kind, name, field in (("GLOSSARY", glossary.name, "description"), ("ASSET", asset.name, "forms")):
        assert _by_name(restored, kind)[name].body[field] == _by_name(source, kind)[name].body[field]
    restored_term, source_term = _by_name(restored, "TERM")[term.name].body, _by_name(source, "TERM")[term.name].body
    assert restored_term["shortDescription"] == source_term["shortDescription"]
    assert not restored_term.get("longDescription") and not source_term.get("longDescription")
    again = json.loads(service.plan(RECOVERY_DOMAIN_ID, ADMIN).summary)
    assert all(set(actions) == {"unchanged"} for kind, actions in again.items() if kind != "SUBSCRIPTION")
