"""An exact name two projects publish is not guessed at: the person is shown both and asked for the asset id."""

import json

from sandbox.runtime import ANALYST
from sandbox.world import DOMAIN_ID
from tests.handlers.catalog.helpers import catalog, reply
from tests.harness import eventually


def test_a_name_published_by_two_projects_is_refused_with_both_owners(bot):
    dz = bot["dz"]
    other = dz.create_project(domainIdentifier=DOMAIN_ID, name="Facilities data")["id"]
    content = {"classification": "public", "owner": "facilities", "refresh_frequency": "weekly"}
    asset = dz.create_asset(
        domainIdentifier=DOMAIN_ID,
        name="store_locations",
        typeIdentifier="GlueTable",
        owningProjectIdentifier=other,
        formsInput=[{"formName": "BusinessMetadata", "content": json.dumps(content)}],
    )["id"]
    change = dz.create_listing_change_set(
        domainIdentifier=DOMAIN_ID, entityIdentifier=asset, entityType="ASSET", action="PUBLISH"
    )

    def published():
        return dz.get_listing(domainIdentifier=DOMAIN_ID, identifier=change["listingId"]).get("status") == "ACTIVE"

    eventually(published, timeout=20)
    catalog(bot, "show store_locations", ANALYST)
    answer = reply(bot, lambda text: "Several projects" in text).body["text"]
    assert "Facilities data" in answer and asset in answer
    assert bot["box"].world.assets["store_locations"] in answer
