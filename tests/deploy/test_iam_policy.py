"""The template's policies allow exactly the AWS operations the test suite saw the bot make."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from bot.aws import APPROVER_APPID, BOT_APPID, REQUESTER_APPID, AwsClients
from tests import aws_calls
from tests.deploy.iam_policy import (
    USED_OUTSIDE_BOTOCORE,
    Findings,
    compare,
    iam_action,
    load_template,
    needed_actions,
    policy_actions,
)

# (app id of the clients, the template's managed policy for them, actions used outside botocore)
POLICIES = [
    (BOT_APPID, "BotPolicy", USED_OUTSIDE_BOTOCORE),
    (APPROVER_APPID, "ApproverPolicy", {}),
    (REQUESTER_APPID, "RequesterPolicy", {}),
]


@pytest.fixture(scope="module")
def template():
    return load_template()


@pytest.mark.aws_calls
@pytest.mark.parametrize(("appid", "policy", "outside"), POLICIES)
def test_the_policy_allows_every_call_the_suite_recorded(template, appid, policy, outside):
    """Whatever part of the suite ran: each operation it saw the bot make is allowed."""
    findings = compare(needed_actions(aws_calls.recorded(appid)), policy_actions(template, policy), outside)
    # Only the missing half: what a partial run did not use says nothing.
    assert not findings.not_allowed, Findings(not_allowed=findings.not_allowed).report(policy)


@pytest.mark.aws_calls
@pytest.mark.parametrize(("appid", "policy", "outside"), POLICIES)
def test_the_policy_allows_nothing_the_suite_did_not_use(template, appid, policy, outside):
    """Only after the whole suite: each allowed action was used (or is listed as used outside botocore)."""
    if not aws_calls.COVERAGE["whole_suite"]:
        pytest.skip(f"needs the whole suite to have run ({aws_calls.COVERAGE['why_not']})")
    calls = aws_calls.recorded(appid)
    assert calls, f"no {appid} calls recorded: is the before-call hook installed?"
    findings = compare(needed_actions(calls), policy_actions(template, policy), outside)
    assert not findings.unused, Findings(unused=findings.unused).report(policy)


def test_a_call_without_a_permission_fails_the_check(template, moto_url, monkeypatch):
    """A real call the policy does not allow, made through the bot's clients, is named by the check."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    recorded = aws_calls.RECORDED[BOT_APPID]
    before = set(recorded)
    try:
        AwsClients("eu-west-1").client("sqs").list_queues()
        assert ("sqs", "ListQueues") in recorded
        findings = compare(needed_actions(recorded), policy_actions(template, "BotPolicy"), USED_OUTSIDE_BOTOCORE)
        assert "sqs:ListQueues" in findings.not_allowed
        assert "  - sqs:ListQueues" in findings.report("BotPolicy").splitlines()
    finally:
        # The extra call is this test's own: the suite-wide check must not see it.
        recorded.intersection_update(before)


def test_a_subprocess_call_without_a_permission_fails_the_check(template, moto_url):
    """Calls of `opsbot` subprocesses are recorded too: one the policy does not allow is named."""
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "x"}
    code = "from bot.aws import AwsClients; AwsClients('eu-west-1').client('sqs').list_queues()"
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    output = Path(os.environ[aws_calls.SUBPROCESS_DIR_VARIABLE]) / f"{process.pid}.json"
    try:
        assert process.wait(120) == 0
        assert ("sqs", "ListQueues") in aws_calls.recorded(BOT_APPID)
        findings = compare(
            needed_actions(aws_calls.recorded(BOT_APPID)), policy_actions(template, "BotPolicy"), USED_OUTSIDE_BOTOCORE
        )
        assert "sqs:ListQueues" in findings.not_allowed
    finally:
        # The extra call is this test's own: the suite-wide check must not see it.
        output.unlink(missing_ok=True)


def test_test_setup_clients_are_not_recorded(moto_url, monkeypatch):
    """Clients without the bot's app id (the tests' own setup) leave no trace."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    before = {appid: set(calls) for appid, calls in aws_calls.RECORDED.items()}
    boto3.session.Session(region_name="eu-west-1").client("sns", endpoint_url=moto_url).list_topics()
    assert before == aws_calls.RECORDED


def test_unused_allowed_actions_are_reported():
    """An allowed action nothing needs is named; one explained as used outside botocore is not."""
    findings = compare(
        {"sqs:ReceiveMessage"}, {"sqs:ReceiveMessage", "sqs:PurgeQueue", "s3:GetObject"}, {"s3:GetObject"}
    )
    assert findings.unused == ["sqs:PurgeQueue"]
    assert findings.not_allowed == []


def test_wildcards_and_case_follow_iam():
    """IAM's * matches, case-insensitively; a pattern nothing matches is unused."""
    findings = compare({"datazone:GetAsset", "datazone:getlisting"}, {"datazone:Get*", "datazone:List*"})
    assert findings.not_allowed == []
    assert findings.unused == ["datazone:List*"]


def test_operations_map_to_iam_actions():
    """Signing names become IAM prefixes (CloudWatch signs as monitoring); AssumeRole brings SetSourceIdentity."""
    assert iam_action("monitoring", "GetMetricData") == "cloudwatch:GetMetricData"
    assert iam_action("elasticmapreduce", "ListInstances") == "elasticmapreduce:ListInstances"
    assert needed_actions({("sts", "AssumeRole"), ("sts", "GetCallerIdentity")}) == {
        "sts:AssumeRole",
        "sts:SetSourceIdentity",
    }
