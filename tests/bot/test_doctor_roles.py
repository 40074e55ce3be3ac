"""Doctor assumes every role the bot assumes for people: requesters' roles as well as approvers'."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from bot.cli import Composition, main
from opsbot.capabilities import CAPABILITIES
from tests.harness import opsbot_env

REQUESTER_ROLE = "arn:aws:iam::123456789012:role/MarketingAnalyst"


def test_doctor_probes_a_requester_role_when_the_policy_has_no_approver_role(fake_slack, tmp_path, moto_url):
    policy = tmp_path / "policy.yml"
    policy.write_text(yaml.safe_dump({"subscriptions": {"requester_roles": {"U0MARIA": REQUESTER_ROLE}}}))
    env = opsbot_env(fake_slack, tmp_path, AWS_ENDPOINT_URL=moto_url, OPSBOT_CONFIG=str(policy))
    composition = Composition(CAPABILITIES)
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env, obj=composition).exit_code == 0
    result = CliRunner().invoke(main, ["doctor"], env=env, obj=composition)
    assert "PASS  permission sts:AssumeRole: allowed" in result.output, result.output
