"""Every DataZone event the bot registers for is one DataZone sends, and every sample is shaped as published."""

import botocore.session
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import build_app
from bot.inbox import datazone_events
from bot.inbox.datazone_events import CLOUDTRAIL_DETAIL_TYPE, SERVICE_EVENTS, SOURCE, api_call, service_event
from bot.inbox.envelope import InboundEvent
from bot.inbox.router import EventRouter
from handlers.backups.events import API_CALLS, entity_of
from opsbot.capabilities import CAPABILITIES
from tests.conformance.datazone.samples import HERE, inbound, load

MODEL = botocore.session.Session().get_service_model("datazone")

# CloudTrail User Guide, "CloudTrail record contents" (awsdocs/aws-cloudtrail-user-guide,
# doc_source/cloudtrail-event-reference-record-contents.md), plus eventCategory from its newer examples.
RECORD_FIELDS = {
    "eventTime", "eventVersion", "userIdentity", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
    "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
    "requestID", "eventID", "eventType", "apiVersion", "managementEvent", "readOnly", "resources",
    "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId", "eventCategory",
}  # fmt: skip
# "AWS service event metadata": https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
ENVELOPE_FIELDS = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
SAMPLES = sorted(p.name for p in HERE.glob("*.json"))


@pytest.fixture
def routed(settings, sqlite_deps):
    build_app(settings, sqlite_deps, CAPABILITIES)
    return sqlite_deps.events


def test_every_datazone_detail_type_registered_is_one_datazone_sends(routed):
    registered = {kind for source, kind in routed.routes() if source == SOURCE}
    assert registered, "no capability listens to DataZone"
    assert registered - {CLOUDTRAIL_DETAIL_TYPE} <= set(SERVICE_EVENTS), sorted(registered - set(SERVICE_EVENTS))


def test_every_datazone_api_call_routed_is_a_write_datazone_has(routed):
    names = {name for source, name in routed.api_calls() if source == SOURCE}
    assert names and names <= set(MODEL.operation_names), sorted(names - set(MODEL.operation_names))
    # EventBridge leaves read-only calls out unless a rule opts in; a Get/List/Search route would never fire.
    assert not [n for n in names if n.startswith(("Get", "List", "Search", "Describe"))]


@pytest.mark.parametrize("event_name", sorted(API_CALLS))
def test_backups_read_ids_from_members_the_api_has(event_name):
    call = API_CALLS[event_name]
    operation = MODEL.operation_model(event_name)
    shape = operation.input_shape if call.part == "requestParameters" else operation.output_shape
    assert call.member in shape.members
    assert "domainIdentifier" in operation.input_shape.members


def test_names_datazone_does_not_send_are_refused_at_registration():
    for invented in ("Project Created", "Asset Deleted", "Glossary Term Updated", "Project Updated"):
        with pytest.raises(ValueError, match="sends no EventBridge event"):
            service_event(invented)
    with pytest.raises(ValueError, match="has no action"):
        api_call("DeleteGlossaryTerms")
    assert service_event("Asset Added To Catalog") == "Asset Added To Catalog"
    assert "Data Source Status Change" not in SERVICE_EVENTS  # the user guide lists it, the reference does not


def test_the_catalogue_keeps_its_source():
    assert datazone_events.REFERENCE_URL.startswith("https://docs.aws.amazon.com/eventbridge/")
    assert len(SERVICE_EVENTS) == len(set(SERVICE_EVENTS)) == 65
    assert load("subscription-request-created.json") == datazone_events.SUBSCRIPTION_REQUEST_CREATED_SAMPLE


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_are_shaped_as_published(name):
    sample = load(name)
    assert set(sample) == ENVELOPE_FIELDS and sample["source"] == SOURCE
    if sample["detail-type"] != CLOUDTRAIL_DETAIL_TYPE:
        assert sample["detail-type"] in SERVICE_EVENTS
        return
    record = sample["detail"]
    assert set(record) <= RECORD_FIELDS, sorted(set(record) - RECORD_FIELDS)
    assert record["eventSource"] == "datazone.amazonaws.com" and record["eventType"] == "AwsApiCall"
    operation = MODEL.operation_model(record["eventName"])
    assert set(record["requestParameters"]) <= set(operation.input_shape.members)
    assert set(record["responseElements"] or {}) <= set(operation.output_shape.members)
    assert inbound(sample).detail_type == CLOUDTRAIL_DETAIL_TYPE


def test_cloudtrail_records_route_by_event_name():
    router, got = EventRouter(), []

    def on_delete(event):
        got.append(("delete", event.event_id))

    def on_catalog(event):
        got.append(("catalog", event.event_id))

    router.on_api_call(SOURCE, "DeleteAsset", on_delete)
    router.on(SOURCE, "Asset Added To Catalog", on_catalog)
    deleted = inbound(load("cloudtrail-delete-asset.json"))
    assert router.handler_for(deleted) is on_delete
    assert router.handler_for(inbound(load("cloudtrail-create-form-type.json"))) is None
    assert router.handler_for(inbound(load("asset-added-to-catalog.json"))) is on_catalog
    assert (SOURCE, CLOUDTRAIL_DETAIL_TYPE) in router.routes() and router.api_calls() == [(SOURCE, "DeleteAsset")]
    with pytest.raises(ValueError, match="routed twice"):
        router.on_api_call(SOURCE, "DeleteAsset", on_catalog)


@given(
    st.dictionaries(
        st.sampled_from(["eventName", "eventSource", "errorCode", "requestParameters", "responseElements"]),
        st.sampled_from(sorted(API_CALLS))
        | st.just("datazone.amazonaws.com")
        | st.dictionaries(st.sampled_from(["domainIdentifier", "identifier", "id", "name"]), st.text(max_size=40))
        | st.none()
        | st.integers(),
    )
)
@settings(deadline=None)  # a shared, busy machine; speed is not what this checks
def test_no_cloudtrail_record_crashes_the_backup_reader(detail):
    event = InboundEvent(event_id="e1", source=SOURCE, detail_type=CLOUDTRAIL_DETAIL_TYPE, detail=detail, via="raw")
    found = entity_of(event)
    assert found is None or found[0] == API_CALLS[detail["eventName"]].kind
