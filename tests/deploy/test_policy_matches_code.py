"""The bot's policy, the code's AWS calls and doctor's probes name the same actions.

The recorded-calls check sees only what the suite exercised; this one reads the code, so a call on a
path no test reaches still needs its permission, and doctor probes exactly what the policy grants.
"""

from __future__ import annotations

import pytest

from bot.doctor_probes import permission_probes
from bot.doctor_resources import doctor_reads
from opsbot.capabilities import CAPABILITIES
from tests.bot.test_doctor_coverage import code_actions
from tests.deploy.iam_policy import IMPLIED, USED_OUTSIDE_BOTOCORE, compare, load_template, policy_actions

# Every IAM action the bot probes: the kernel's and each capability's.
PROBED = {action for action, _probe in permission_probes(CAPABILITIES)}


@pytest.fixture(scope="module")
def allowed():
    return policy_actions(load_template(), "BotPolicy")


def test_every_call_in_the_code_is_allowed(allowed):
    used = code_actions()
    findings = compare(set(used), allowed)
    assert not findings.not_allowed, {action: sorted(used[action]) for action in findings.not_allowed}


def test_doctor_probes_exactly_what_the_policy_allows(allowed):
    implied = {action for actions in IMPLIED.values() for action in actions}
    findings = compare(set(PROBED) | doctor_reads(CAPABILITIES), allowed, {*USED_OUTSIDE_BOTOCORE, *implied})
    assert findings.not_allowed == [], "doctor probes actions the policy does not grant"
    assert findings.unused == [], "the policy grants actions doctor does not probe"
