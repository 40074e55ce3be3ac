"""The sandbox's EventBridge rules: exact-value patterns, as the deployed rules use them."""

from sandbox.aws.eventbus import matches
from sandbox.aws.notifications import eventbridge_event
from sandbox.world import event_rules

DATAZONE, CLOUDTRAIL, EMR = event_rules("dzd_sandbox")


def _datazone(domain):
    return eventbridge_event("aws.datazone", "Asset Added To Inventory", {"metadata": {"domain": domain, "id": "a1"}})


def _call(domain, source="datazone.amazonaws.com"):
    detail = {"eventSource": source, "eventName": "DeleteAsset", "requestParameters": {"domainIdentifier": domain}}
    return eventbridge_event("aws.datazone", "AWS API Call via CloudTrail", detail)


def test_the_domains_own_events_and_calls_match_and_other_domains_do_not():
    assert matches(DATAZONE, _datazone("dzd_sandbox")) and not matches(DATAZONE, _datazone("dzd_recovery"))
    assert matches(CLOUDTRAIL, _call("dzd_sandbox")) and not matches(CLOUDTRAIL, _call("dzd_recovery"))
    assert not matches(CLOUDTRAIL, _call("dzd_sandbox", source="glue.amazonaws.com"))
    assert not matches(DATAZONE, _call("dzd_sandbox"))  # a CloudTrail detail has no metadata.domain


def test_emr_events_match_their_source_only():
    event = eventbridge_event("aws.emr", "EMR Cluster State Change", {"clusterId": "j-1", "state": "WAITING"})
    assert matches(EMR, event) and not matches(EMR, _datazone("dzd_sandbox"))


def test_a_list_value_matches_when_any_element_is_wanted():
    pattern = {"resources": ["arn:b"]}
    assert matches(pattern, {"resources": ["arn:a", "arn:b"]}) and not matches(pattern, {"resources": ["arn:a"]})
    assert not matches({"detail": {"state": ["RUNNING"]}}, {"detail": "RUNNING"})
