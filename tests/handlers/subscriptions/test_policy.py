"""The subscription policy: classification rules, the quality gate, the default, self-approval."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.aws import AwsClients
from bot.deps import build_deps
from bot.errors import NotAllowed
from bot.policy import Policy
from handlers.subscriptions.authority import may_decide, may_extend
from handlers.subscriptions.policy import evaluate, forms_content, self_approval
from handlers.subscriptions.service import SubscriptionService
from opsbot.capabilities import CAPABILITIES

REFERENCE = Policy().subscriptions  # public and internal automatic, confidential reviewed
GATED = Policy.model_validate(
    {
        "subscriptions": {
            "rules": {"Public": "auto_approve", "internal": "auto_approve", "confidential": "review", "secret": "deny"},
            "quality": {"minimum": 0.9, "below": "block"},
        }
    }
).subscriptions


def _forms(**content):
    return {"BusinessMetadata": content}


@pytest.mark.parametrize(
    ("classification", "route"),
    [
        ("public", "auto_approve"),
        ("internal", "auto_approve"),
        ("confidential", "review"),
        ("Confidential ", "review"),
    ],
)
def test_the_reference_policy(classification, route):
    verdict = evaluate(REFERENCE, _forms(classification=classification))
    assert verdict.route == route and verdict.classification == classification.strip().lower()


def test_missing_or_unknown_classification_takes_the_default_and_warns():
    missing = evaluate(REFERENCE, {})
    assert missing.route == "review" and "no BusinessMetadata.classification" in missing.warnings[0]
    unknown = evaluate(REFERENCE, _forms(classification="top-secret"))
    assert unknown.route == "review" and "'top-secret' is not in the policy" in unknown.warnings[0]


def test_rules_can_deny():
    assert evaluate(GATED, _forms(classification="secret", data_quality_score=0.99)).route == "deny"


def test_quality_gate_blocks_or_warns():
    blocked = evaluate(GATED, _forms(classification="public", data_quality_score=0.5))
    assert blocked.route == "deny" and blocked.reason == "data quality 0.5 is below the minimum 0.9"
    warn = Policy.model_validate({"subscriptions": {"quality": {"minimum": 0.9}}}).subscriptions
    warned = evaluate(warn, _forms(classification="internal", data_quality_score=0.5))
    # Something an approver should know about: a human looks first, even for internal data.
    assert warned.route == "review" and warned.quality == 0.5 and "below the minimum" in warned.warnings[0]
    fine = evaluate(warn, _forms(classification="internal", data_quality_score=0.97))
    assert fine.route == "auto_approve" and fine.warnings == ()


def test_the_score_is_read_even_without_a_gate():
    assert evaluate(REFERENCE, _forms(classification="internal", data_quality_score=0.42)).quality == 0.42


def test_a_non_numeric_score_is_a_warning_not_a_crash():
    verdict = evaluate(GATED, _forms(classification="public", data_quality_score="high"))
    assert verdict.route == "review" and "no numeric BusinessMetadata.data_quality_score" in verdict.warnings[0]


def test_forms_content_reads_datazone_forms_and_reports_unreadable_ones():
    forms, problems = forms_content(
        [
            {"formName": "BusinessMetadata", "content": json.dumps({"classification": "internal"})},
            {"formName": "Broken", "content": "{not json"},
            {"formName": "List", "content": "[1, 2]"},
        ]
    )
    assert forms == {"BusinessMetadata": {"classification": "internal"}}
    assert problems == ["form Broken has unreadable content", "form List has unreadable content"]
    assert evaluate(REFERENCE, forms, problems).route == "review"  # unreadable metadata means a human looks


def test_self_approval_is_recognised():
    assert self_approval("U0ALICE", "U0ALICE") and not self_approval("U0ALICE", "U0BOB")
    assert not self_approval("U0ALICE", None)


def test_policy_file_errors_name_the_field():
    with pytest.raises(ValueError, match="rules"):
        Policy.model_validate({"subscriptions": {"rules": {"public": "approve-everything"}}})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@given(
    st.lists(
        st.fixed_dictionaries(
            {"formName": st.text(max_size=20)}, optional={"content": st.text(max_size=60) | json_values.map(json.dumps)}
        ),
        max_size=4,
    ),
    st.sampled_from([REFERENCE, GATED]),
)
def test_no_metadata_crashes_the_policy(forms_output, policy):
    forms, problems = forms_content(forms_output)
    verdict = evaluate(policy, forms, problems)
    assert verdict.route in ("auto_approve", "review", "deny") and verdict.reason
    assert verdict.route != "auto_approve" or not verdict.warnings


def test_approver_roles_are_checked_and_can_be_required(settings):
    with pytest.raises(ValidationError, match="approver_roles"):
        Policy.model_validate({"subscriptions": {"approver_roles": {"U0ALICE": "arn:aws:iam::1:user/alice"}}})
    policy = Policy.model_validate(
        {
            "admins": {"users": ["U0ALICE", "U0BOB"]},
            "subscriptions": {
                "approver_roles": {"U0ALICE": "arn:aws:iam::123456789012:role/SalesDataOwner"},
                "require_approver_role": True,
            },
        }
    )
    deps = build_deps(settings, policy=policy)
    deps.db.migrate(CAPABILITIES)
    try:
        may_decide(deps.access, deps.audit, "U0ALICE", "prj1", "req1", requester_slack=None)
        with pytest.raises(NotAllowed, match="own IAM role"):
            may_decide(deps.access, deps.audit, "U0BOB", "prj1", "req1", requester_slack=None)
    finally:
        deps.close()


def test_a_datazone_identity_belongs_to_one_slack_user():
    with pytest.raises(ValidationError, match="mapped to both"):
        Policy.model_validate({"people": {"U0ALICE": ["alice@example.com"], "U0BOB": ["alice@example.com"]}})


def test_only_opsbots_own_session_on_the_approvers_role_names_that_approver():
    policy = Policy.model_validate(
        {"subscriptions": {"approver_roles": {"U0ALICE": "arn:aws:iam::123456789012:role/teams/SalesDataOwner"}}}
    )
    service = SubscriptionService(AwsClients("eu-west-1"), policy)
    own = "arn:aws:sts::123456789012:assumed-role/SalesDataOwner/opsbot-U0ALICE"
    assert service.person("dzd_x", own)[1] == "U0ALICE"
    # Anyone may name their session opsbot-U0ALICE; on another role it is not Alice deciding.
    spoofed = "arn:aws:sts::123456789012:assumed-role/Analyst/opsbot-U0ALICE"
    assert service.person("dzd_x", spoofed)[1] is None


def test_extending_access_needs_an_approver_of_the_project_the_record_names(settings):
    policy = Policy.model_validate({"projects": {"prj1": {"approvers": {"users": ["U0ALICE"]}}}})
    deps = build_deps(settings, policy=policy)
    deps.db.migrate(CAPABILITIES)
    try:
        may_extend(deps.access, deps.audit, "U0ALICE", "sub1", "prj1", requester_slack="U0MARIA")
        with pytest.raises(NotAllowed, match="Only the approvers"):
            may_extend(
                deps.access, deps.audit, "U0ALICE", "sub1", "prj2", requester_slack="U0MARIA"
            )  # a button naming another owner
        with pytest.raises(NotAllowed, match="asked for this access yourself"):
            may_extend(deps.access, deps.audit, "U0ALICE", "sub1", "prj1", requester_slack="U0ALICE")
    finally:
        deps.close()
