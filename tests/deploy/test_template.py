"""The templates lint clean and agree with the code and with docs/deploy.md, which runs what it can offline."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.api import lint_file

from bot.app import build_app
from bot.inbox.envelope import SNS_ALARM_DETAIL_TYPE
from bot.inbox.router import API_CALL_DETAIL_TYPE
from bot.policy import load_policy
from bot.settings import Settings
from opsbot.capabilities import CAPABILITIES
from tests.deploy.iam_policy import load_template

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
TEMPLATES = sorted((ROOT / "deploy").glob("*.yaml"))


def _shell_blocks(markdown: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", markdown, flags=re.DOTALL)


def _commands(markdown: str) -> list[list[str]]:
    """Each shell command of the guide as words (continuation lines joined, comments and $(...) left whole)."""
    commands = []
    for block in _shell_blocks(markdown):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(shlex.split(re.sub(r"\$\([^)]*\)", "SUBSTITUTED", line)))
    return commands


def _deploys(markdown: str) -> list[tuple[str, list[str]]]:
    """(template file, parameter names) of each `aws cloudformation deploy` in the guide."""
    found = []
    for words in _commands(markdown):
        if words[:3] != ["aws", "cloudformation", "deploy"]:
            continue
        template = words[words.index("--template-file") + 1]
        overrides = []
        if "--parameter-overrides" in words:
            for word in words[words.index("--parameter-overrides") + 1 :]:
                if word.startswith("--"):
                    break
                overrides.append(word.split("=", 1)[0])
        found.append((template, overrides))
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_passes_cfn_lint(path):
    """Errors, warnings and informational findings alike: the template is cfn-lint clean."""
    matches = lint_file(path)
    assert not matches, "\n".join(str(m) for m in matches)


def test_every_deploy_in_the_guide_names_a_template_and_only_its_parameters():
    """Each parameter the guide passes exists in the template it deploys; both templates are deployed."""
    deploys = _deploys(GUIDE.read_text())
    assert {template for template, _ in deploys} == {f"deploy/{p.name}" for p in TEMPLATES}
    for template, overrides in deploys:
        parameters = set(load_template(ROOT / template)["Parameters"])
        assert overrides, f"a deploy of {template} passes no parameters"
        assert set(overrides) <= parameters, f"{template} has no {sorted(set(overrides) - parameters)}"


def test_the_first_deploy_in_the_guide_sets_every_required_parameter():
    """Parameters without a default are all given on the first deploy of the main stack."""
    template, overrides = _deploys(GUIDE.read_text())[0]
    parameters = load_template(ROOT / template)["Parameters"]
    required = {name for name, spec in parameters.items() if "Default" not in spec}
    assert required <= set(overrides)


def test_offline_commands_of_the_guide_run(tmp_path):
    """The guide's policy-file and template checks, run as written from a checkout-like directory."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "deploy").symlink_to(ROOT / "deploy")
    shutil.copy(ROOT / "policy.example.yml", tmp_path)
    offline = [
        " ".join(shlex.quote(w) for w in words)
        for words in _commands(GUIDE.read_text())
        if words[0] == "cp" or words[0].startswith(".venv/bin/")
    ]
    assert any("cfn-lint" in c for c in offline) and any("load_policy" in c for c in offline)
    for command in offline:
        result = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
    load_policy(tmp_path / "policy.yml")


def test_the_example_policy_the_guide_starts_from_loads():
    """docs/deploy.md copies policy.example.yml: the bot's own loader accepts it."""
    assert "cp policy.example.yml policy.yml" in GUIDE.read_text()
    assert load_policy(ROOT / "policy.example.yml").projects


def test_container_environment_names_are_settings():
    """Every variable the task definition sets is one the bot reads."""
    template = load_template(ROOT / "deploy" / "opsbot.yaml")
    container = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    known = {alias for field in Settings.model_fields.values() for alias in field.validation_alias.choices}
    names = []
    for entry in [*container["Environment"], *container["Secrets"]]:
        branches = entry["Fn::If"][1:] if "Fn::If" in entry else [entry]
        names += [b["Name"] for b in branches if isinstance(b, dict) and "Name" in b]
    assert set(names) <= known, sorted(set(names) - known)
    assert {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "OPSBOT_EVENTS_QUEUE_URL", "OPSBOT_ALARM_TOPIC_ARN"} <= set(names)


def _rule_patterns():
    resources = load_template(ROOT / "deploy" / "opsbot.yaml")["Resources"]
    return [r["Properties"]["EventPattern"] for r in resources.values() if r["Type"] == "AWS::Events::Rule"]


def test_eventbridge_rules_match_the_routed_events(settings, sqlite_deps):
    """The rules deliver exactly the (source, detail-type) pairs the handlers register (SNS alarms aside)."""
    build_app(settings, sqlite_deps, CAPABILITIES)
    routed = {route for route in sqlite_deps.events.routes() if route[1] != SNS_ALARM_DETAIL_TYPE}
    delivered = set()
    for pattern in _rule_patterns():
        delivered |= {(source, kind) for source in pattern["source"] for kind in pattern["detail-type"]}
    assert delivered == routed


def test_cloudtrail_rules_deliver_exactly_the_routed_api_calls(settings, sqlite_deps):
    """CloudTrail's records reach the queue for exactly the actions routed, each from its own service only."""
    build_app(settings, sqlite_deps, CAPABILITIES)
    delivered = set()
    for pattern in _rule_patterns():
        if API_CALL_DETAIL_TYPE not in pattern["detail-type"]:
            continue
        assert pattern["detail-type"] == [API_CALL_DETAIL_TYPE], "one rule per kind keeps eventName to API calls"
        [source] = pattern["source"]
        # AWS's pattern for DataZone's API calls: source aws.datazone, eventSource datazone.amazonaws.com.
        assert pattern["detail"]["eventSource"] == [f"{source.removeprefix('aws.')}.amazonaws.com"]
        delivered |= {(source, name) for name in pattern["detail"]["eventName"]}
    assert delivered == set(sqlite_deps.events.api_calls())


def test_the_template_can_create_the_trail_cloudtrail_events_need():
    """EventBridge gets CloudTrail's API calls only from a logging trail: the stack makes one unless told not to."""
    template = load_template(ROOT / "deploy" / "opsbot.yaml")
    trail = template["Resources"]["CloudTrailTrail"]
    assert trail["Condition"] == "CreatesTrail" and template["Parameters"]["CreateTrail"]["Default"] == "true"
    assert trail["Properties"]["IsLogging"] is True
    [selector] = trail["Properties"]["EventSelectors"]
    assert selector["IncludeManagementEvents"] is True and selector["ReadWriteType"] in ("WriteOnly", "All")


def test_outputs_name_what_the_bot_and_the_guide_need():
    """Queue URL, topic ARN, table name, role ARN and key ARN are outputs."""
    outputs = set(load_template(ROOT / "deploy" / "opsbot.yaml")["Outputs"])
    assert {"EventsQueueUrl", "AlarmTopicArn", "BackupTableName", "BotRoleArn", "BackupKeyArn"} <= outputs
    assert set(load_template(ROOT / "deploy" / "replica-key.yaml")["Outputs"]) == {"ReplicaKeyArn"}
