"""The DataZone emulator's catalog operations, through boto3, with their error cases."""

import json
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError, ParamValidationError


def _code(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def _publish(w, asset=None):
    dz = w["dz"]
    change = dz.create_listing_change_set(
        domainIdentifier=w["domain"], entityIdentifier=asset or w["asset"], entityType="ASSET", action="PUBLISH"
    )
    assert change["status"] == "CREATING"
    for _ in range(100):
        if dz.get_listing(domainIdentifier=w["domain"], identifier=change["listingId"])["status"] == "ACTIVE":
            return change["listingId"]
        time.sleep(0.02)
    raise AssertionError("listing never became ACTIVE")


def test_unknown_domain_and_asset_are_404(world):
    dz = world["dz"]
    with pytest.raises(ClientError) as raised:
        dz.get_asset(domainIdentifier="dzd_nope", identifier=world["asset"])
    assert _code(raised.value) == ("ResourceNotFoundException", 404)
    with pytest.raises(dz.exceptions.ResourceNotFoundException):
        dz.get_asset(domainIdentifier=world["domain"], identifier="missing")


def test_bad_parameters_are_400(world):
    dz = world["dz"]
    with pytest.raises(ClientError) as raised:
        dz.search(domainIdentifier=world["domain"], searchScope="ASSET", maxResults=51)
    assert _code(raised.value) == ("ValidationException", 400)
    with pytest.raises(ParamValidationError):  # botocore refuses before sending
        dz.search(domainIdentifier=world["domain"])


def test_asset_revisions_and_forms(world):
    dz, domain = world["dz"], world["domain"]
    revised = dz.create_asset_revision(
        domainIdentifier=domain,
        identifier=world["asset"],
        name="mkt_sls_table",
        description="Marketing sales",
        formsInput=[{"formName": "BusinessMetadata", "content": json.dumps({"classification": "confidential"})}],
    )
    assert revised["revision"] == "2"
    first = dz.get_asset(domainIdentifier=domain, identifier=world["asset"], revision="1")
    assert json.loads(first["formsOutput"][0]["content"])["classification"] == "internal"
    latest = dz.get_asset(domainIdentifier=domain, identifier=world["asset"])
    assert json.loads(latest["formsOutput"][0]["content"]) == {"classification": "confidential"}
    assert latest["externalIdentifier"] == "glue://sales/mkt_sls_table"


def test_duplicate_external_identifier_is_a_conflict(world):
    with pytest.raises(world["dz"].exceptions.ConflictException):
        world["dz"].create_asset(
            domainIdentifier=world["domain"],
            name="again",
            typeIdentifier="GlueTable",
            owningProjectIdentifier=world["producer"],
            externalIdentifier="glue://sales/mkt_sls_table",
        )


def test_publish_becomes_active_and_unpublish_inactive(world):
    dz, domain = world["dz"], world["domain"]
    listing = _publish(world)
    assert dz.get_asset(domainIdentifier=domain, identifier=world["asset"])["listing"] == {
        "listingId": listing,
        "listingStatus": "ACTIVE",
    }
    item = dz.get_listing(domainIdentifier=domain, identifier=listing)["item"]["assetListing"]
    assert json.loads(item["forms"])["BusinessMetadata"]["owner"] == "sales"
    assert dz.search_listings(domainIdentifier=domain)["items"][0]["assetListing"]["entityId"] == world["asset"]
    change = dz.create_listing_change_set(
        domainIdentifier=domain, entityIdentifier=world["asset"], entityType="ASSET", action="UNPUBLISH"
    )
    assert change["status"] == "INACTIVE"
    assert dz.search_listings(domainIdentifier=domain)["items"] == []
    with pytest.raises(dz.exceptions.ConflictException):
        dz.create_listing_change_set(
            domainIdentifier=domain, entityIdentifier=world["asset"], entityType="ASSET", action="UNPUBLISH"
        )


def test_publishing_without_required_forms_is_refused(world):
    dz, domain = world["dz"], world["domain"]
    bare = dz.create_asset(
        domainIdentifier=domain, name="bare", typeIdentifier="GlueTable", owningProjectIdentifier=world["producer"]
    )
    with pytest.raises(dz.exceptions.ValidationException, match="missing required forms: BusinessMetadata"):
        dz.create_listing_change_set(
            domainIdentifier=domain, entityIdentifier=bare["id"], entityType="ASSET", action="PUBLISH"
        )


def test_delete_published_asset_is_a_conflict(world):
    _publish(world)
    with pytest.raises(world["dz"].exceptions.ConflictException):
        world["dz"].delete_asset(domainIdentifier=world["domain"], identifier=world["asset"])


def test_search_filters_text_owner_and_pagination(world):
    dz, domain = world["dz"], world["domain"]
    for n in range(7):
        dz.create_asset(
            domainIdentifier=domain,
            name=f"orders_{n}",
            typeIdentifier="GlueTable",
            owningProjectIdentifier=world["consumer"],
            formsInput=[{"formName": "BusinessMetadata", "content": json.dumps({"classification": "public"})}],
        )
    pages = list(
        dz.get_paginator("search").paginate(
            domainIdentifier=domain, searchScope="ASSET", PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(p["items"]) for p in pages] == [3, 3, 2]
    found = dz.search(domainIdentifier=domain, searchScope="ASSET", searchText="orders_3")["items"]
    assert [i["assetItem"]["name"] for i in found] == ["orders_3"]
    owned = dz.search(domainIdentifier=domain, searchScope="ASSET", owningProjectIdentifier=world["producer"])
    assert owned["totalMatchCount"] == 1
    either = {
        "or": [
            {"filter": {"attribute": "BusinessMetadata.classification", "value": "internal"}},
            {"filter": {"attribute": "name", "value": "orders_0"}},
        ]
    }
    names = {
        i["assetItem"]["name"] for i in dz.search(domainIdentifier=domain, searchScope="ASSET", filters=either)["items"]
    }
    assert names == {"mkt_sls_table", "orders_0"}
    with_forms = dz.search(
        domainIdentifier=domain, searchScope="ASSET", searchText="mkt", additionalAttributes=["FORMS"]
    )["items"][0]["assetItem"]
    assert with_forms["additionalAttributes"]["formsOutput"][0]["formName"] == "BusinessMetadata"
    with pytest.raises(dz.exceptions.ValidationException):
        dz.search(domainIdentifier=domain, searchScope="ASSET", nextToken="garbage")


def test_glossaries_terms_and_their_search(world):
    dz, domain = world["dz"], world["domain"]
    glossary = dz.create_glossary(domainIdentifier=domain, name="Sales", owningProjectIdentifier=world["producer"])
    revenue = dz.create_glossary_term(
        domainIdentifier=domain, glossaryIdentifier=glossary["id"], name="Revenue", shortDescription="Money in"
    )
    net = dz.create_glossary_term(
        domainIdentifier=domain,
        glossaryIdentifier=glossary["id"],
        name="Net revenue",
        termRelations={"isA": [revenue["id"]]},
    )
    assert dz.get_glossary_term(domainIdentifier=domain, identifier=net["id"])["termRelations"]["isA"] == [
        revenue["id"]
    ]
    assert dz.get_glossary(domainIdentifier=domain, identifier=glossary["id"])["status"] == "ENABLED"
    terms = dz.search(domainIdentifier=domain, searchScope="GLOSSARY_TERM", searchText="revenue")["items"]
    assert {t["glossaryTermItem"]["name"] for t in terms} == {"Revenue", "Net revenue"}
    assert dz.search(domainIdentifier=domain, searchScope="GLOSSARY")["items"][0]["glossaryItem"]["name"] == "Sales"
    with pytest.raises(dz.exceptions.ConflictException):
        dz.create_glossary_term(domainIdentifier=domain, glossaryIdentifier=glossary["id"], name="Revenue")
    with pytest.raises(dz.exceptions.ResourceNotFoundException):
        dz.create_glossary_term(
            domainIdentifier=domain,
            glossaryIdentifier=glossary["id"],
            name="X",
            termRelations={"classifies": ["missing-term"]},
        )
    revised = dz.create_asset_revision(
        domainIdentifier=domain, identifier=world["asset"], name="mkt_sls_table", glossaryTerms=[revenue["id"]]
    )
    assert revised["glossaryTerms"] == [revenue["id"]]


def test_form_and_asset_types(world):
    dz, domain = world["dz"], world["domain"]
    form = dz.get_form_type(domainIdentifier=domain, formTypeIdentifier="BusinessMetadata")
    assert "classification" in form["model"]["smithy"]
    again = dz.create_form_type(
        domainIdentifier=domain,
        name="BusinessMetadata",
        owningProjectIdentifier=world["producer"],
        model={"smithy": "structure BusinessMetadata { classification: String }"},
    )
    assert again["revision"] == "2"
    asset_type = dz.get_asset_type(domainIdentifier=domain, identifier="GlueTable")
    assert asset_type["formsOutput"]["BusinessMetadata"]["required"] is True
    found = dz.search_types(domainIdentifier=domain, searchScope="FORM_TYPE", managed=False)["items"]
    assert found[0]["formTypeItem"]["name"] == "BusinessMetadata"
    with pytest.raises(dz.exceptions.ValidationException):
        dz.create_form_type(
            domainIdentifier=domain,
            name="Broken",
            owningProjectIdentifier=world["producer"],
            model={"smithy": "nothing here"},
        )
    with pytest.raises(dz.exceptions.ResourceNotFoundException):
        dz.get_asset_type(domainIdentifier=domain, identifier="RedshiftTable")


def test_delete_unpublished_asset_and_managed_asset_types(world):
    dz, domain = world["dz"], world["domain"]
    dz.delete_asset(domainIdentifier=domain, identifier=world["asset"])
    with pytest.raises(dz.exceptions.ResourceNotFoundException):
        dz.get_asset(domainIdentifier=domain, identifier=world["asset"])
    managed = dz.search_types(domainIdentifier=domain, searchScope="ASSET_TYPE", managed=True)["items"]
    assert {i["assetTypeItem"]["name"] for i in managed} == {
        "amazon.datazone.GlueTableAssetType",
        "amazon.datazone.RedshiftTableAssetType",
    }


def test_unknown_route_is_a_404(world):
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{world['dz'].meta.endpoint_url}/v2/nothing-here")
    assert raised.value.code == 404 and raised.value.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"


def test_search_listings_takes_the_filters_the_model_publishes(world):
    dz, domain = world["dz"], world["domain"]
    term = dz.create_glossary_term(
        domainIdentifier=domain,
        glossaryIdentifier=dz.create_glossary(
            domainIdentifier=domain, name="G", owningProjectIdentifier=world["producer"]
        )["id"],
        name="Revenue",
    )["id"]
    dz.create_asset_revision(
        domainIdentifier=domain, identifier=world["asset"], name="mkt_sls_table", glossaryTerms=[term]
    )
    _publish(world)

    def names(**kw):
        items = dz.search_listings(domainIdentifier=domain, **kw)["items"]
        return [i["assetListing"]["name"] for i in items]

    internal = {"filter": {"attribute": "BusinessMetadata.classification", "value": "internal"}}
    assert names(filters=internal) == ["mkt_sls_table"]
    assert names(filters={"filter": {"attribute": "glossaryTerms", "value": "reven", "operator": "TEXT_SEARCH"}}) == [
        "mkt_sls_table"
    ]
    other = {"filter": {"attribute": "owningProjectId", "value": world["consumer"]}}
    assert names(filters={"and": [internal, other]}) == [] and names(filters={"or": [internal, other]})
    assert names(searchText="sales", filters=internal) == []  # text matches the name or the description
    with_forms = dz.search_listings(domainIdentifier=domain, additionalAttributes=["FORMS"])["items"][0]["assetListing"]
    assert json.loads(with_forms["additionalAttributes"]["forms"])["BusinessMetadata"]["owner"] == "sales"
    assert with_forms["glossaryTerms"] == [{"name": "Revenue"}]
    with pytest.raises(ParamValidationError):
        dz.search_listings(domainIdentifier=domain, filters={"filter": {"value": "no attribute"}})
