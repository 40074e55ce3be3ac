"""Doctor probes every AWS operation the bot's code makes, under its IAM action name, and names no other."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
from botocore import xform_name

from bot.doctor_probes import permission_probes
from opsbot.capabilities import CAPABILITIES

# Every IAM action the bot probes: the kernel's and each capability's.
PROBED = {action for action, _probe in permission_probes(CAPABILITIES)}

ROOT = Path(__file__).resolve().parents[2]
# boto3 service name -> IAM action prefix, for the clients bot/, handlers/ and scheduler/ build.
SERVICES = {
    "datazone": "datazone",
    "dynamodb": "dynamodb",
    "sqs": "sqs",
    "cloudwatch": "cloudwatch",
    "emr": "elasticmapreduce",
    "sts": "sts",
}
# Code that shares method names with AWS operations but calls no AWS API.
NOT_AWS = {
    "bot/migrations": "Alembic's op.create_table",
    "handlers/subscriptions/migrations": "Alembic's op.create_table (the capability's own branch)",
    "handlers/proteins": "LanceDB's list_tables, query and search",
    "bot/doctor": "the probes themselves",
}
# A capability's own doctor checks and probes are doctor code too.
DOCTOR_FILES = ("doctor.py", "probes.py")


def _operations() -> dict[str, set[str]]:
    """snake_case method name -> the IAM actions it can be."""
    session = botocore.session.get_session()
    names: dict[str, set[str]] = {}
    for service, prefix in SERVICES.items():
        for operation in session.get_service_model(service).operation_names:
            names.setdefault(xform_name(operation), set()).add(f"{prefix}:{operation}")
    return names


def code_actions() -> dict[str, set[str]]:
    """IAM action -> files whose code names the operation as a method or a paginator."""
    operations = _operations()
    used: dict[str, set[str]] = {}
    for package in ("bot", "handlers", "scheduler"):
        for path in (ROOT / package).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if relative.startswith(tuple(NOT_AWS)) or path.name in DOCTOR_FILES:
                continue
            text = path.read_text(encoding="utf-8")
            for match in re.finditer(r'\.([a-z_]+)\b|get_paginator\(\s*"([a-z_]+)"', text):
                for action in operations.get(match.group(1) or match.group(2), ()):
                    used.setdefault(action, set()).add(relative)
    return used


def test_every_aws_operation_in_the_code_has_a_probe():
    used = code_actions()
    missing = {action: sorted(files) for action, files in used.items() if action not in PROBED}
    assert missing == {}
    assert "datazone:AcceptSubscriptionRequest" in used and "sqs:DeleteMessage" in used  # the scan finds calls


def test_the_excluded_code_builds_no_aws_client():
    for folder in ("bot/migrations", "handlers/subscriptions/migrations", "handlers/proteins"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not re.search(r"\.client\(|boto3", path.read_text(encoding="utf-8")), path


def test_every_probe_names_a_real_operation():
    session = botocore.session.get_session()
    prefixes = {prefix: service for service, prefix in SERVICES.items()}
    for action in PROBED:
        prefix, operation = action.split(":")
        assert operation in session.get_service_model(prefixes[prefix]).operation_names, action
