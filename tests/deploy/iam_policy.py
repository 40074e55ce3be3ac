"""Compares the AWS operations the bot makes with the actions its CloudFormation policies allow."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "opsbot.yaml"

# Where the IAM prefix differs from the service model's signing name (the name used otherwise).
IAM_PREFIX = {"monitoring": "cloudwatch"}

# Actions a recorded operation needs besides its own, because of how the bot calls it.
IMPLIED = {
    # bot/aws.py's client_as always passes SourceIdentity, which needs sts:SetSourceIdentity as well.
    "sts:AssumeRole": ("sts:SetSourceIdentity",),
}

# Operations IAM never denies, so the policy need not (and cannot usefully) list them.
NEEDS_NO_PERMISSION = frozenset({"sts:GetCallerIdentity"})

# Allowed actions no botocore client of the bot makes, each with the reason it is needed anyway.
USED_OUTSIDE_BOTOCORE = {
    # LanceDB reads the protein database on s3:// through its own object store client, not botocore.
    "s3:GetObject": "LanceDB reads protein tables from S3",
    "s3:ListBucket": "LanceDB lists protein table versions in S3",
    # DynamoDB calls KMS with the caller's credentials for a table under a customer managed key (kms:ViaService).
    "kms:Decrypt": "DynamoDB decrypts the backup table's key for reads and writes",
    "kms:DescribeKey": "DynamoDB checks the backup table's key",
    "kms:Encrypt": "DynamoDB encrypts with the backup table's key",
    "kms:GenerateDataKey": "DynamoDB makes data keys under the backup table's key",
}


def iam_action(signing_name: str, operation: str) -> str:
    """The IAM action of one API operation, e.g. ("monitoring", "GetMetricData") -> cloudwatch:GetMetricData."""
    return f"{IAM_PREFIX.get(signing_name, signing_name)}:{operation}"


def needed_actions(recorded: Iterable[tuple[str, str]]) -> set[str]:
    """Every IAM action the recorded operations need."""
    actions = set()
    for signing_name, operation in recorded:
        action = iam_action(signing_name, operation)
        actions.add(action)
        actions.update(IMPLIED.get(action, ()))
    return actions - NEEDS_NO_PERMISSION


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data, short tags (!Ref, !Sub, !If...) read as their long forms."""
    template, problems = decode(str(path))
    if problems or template is None:
        raise ValueError(f"{path} does not parse: {[str(p) for p in problems]}")
    return template


def _branches(value: Any) -> Iterator[Any]:
    # Fn::If keeps either branch depending on parameters: a policy may allow what either allows.
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        for branch in value["Fn::If"][1:]:
            yield from _branches(branch)
    elif value != {"Ref": "AWS::NoValue"}:
        yield value


def policy_actions(template: dict[str, Any], logical_id: str) -> set[str]:
    """The actions a managed policy's Allow statements name (under any condition)."""
    resource = template["Resources"][logical_id]
    statements = resource["Properties"]["PolicyDocument"]["Statement"]
    actions: set[str] = set()
    for statement in (s for item in statements for s in _branches(item)):
        if statement.get("Effect") != "Allow":
            continue
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def _allowed(action: str, patterns: Iterable[str]) -> bool:
    # IAM matches actions case-insensitively; * and ? are its only wildcards.
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


@dataclass
class Findings:
    """What the policy lacks and what it allows that nothing uses."""

    not_allowed: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def report(self, policy: str) -> str:
        """A message naming each problem."""
        lines = []
        if self.not_allowed:
            lines.append(f"{policy} does not allow actions the bot's code uses (add them to deploy/opsbot.yaml):")
            lines += [f"  - {action}" for action in self.not_allowed]
        if self.unused:
            lines.append(f"{policy} allows actions nothing in the code uses (remove them, or explain them):")
            lines += [f"  - {action}" for action in self.unused]
        return "\n".join(lines)


def compare(needed: set[str], allowed: set[str], outside_botocore: Iterable[str] = ()) -> Findings:
    """Needed actions the policy misses, and allowed ones neither needed nor used outside botocore."""
    explained = needed | set(outside_botocore)
    return Findings(
        not_allowed=sorted(action for action in needed if not _allowed(action, allowed)),
        unused=sorted(pattern for pattern in allowed if not any(_allowed(a, [pattern]) for a in explained)),
    )
