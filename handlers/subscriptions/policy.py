"""What the policy says about a subscription request: approve automatically, send to review, or deny."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from bot.policy import Route, SubscriptionPolicy


@dataclass(frozen=True)
class Verdict:
    """The route for a request, the facts it rests on, and what an approver should be warned about."""

    route: Route
    classification: str | None
    quality: float | None
    reason: str
    warnings: tuple[str, ...] = field(default=())


def forms_content(forms_output: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """DataZone's formsOutput as {form name: content}, and a warning for each form whose content is unreadable."""
    forms: dict[str, dict[str, Any]] = {}
    problems = []
    for form in forms_output:
        name = str(form.get("formName", ""))
        try:
            content = json.loads(form.get("content") or "{}")
        except (TypeError, ValueError):
            content = None
        if isinstance(content, dict):
            forms[name] = content
        else:
            problems.append(f"form {name or '(unnamed)'} has unreadable content")
    return forms, problems


def _value(forms: dict[str, dict[str, Any]], form: str, name: str) -> Any:
    return forms.get(form, {}).get(name)


def evaluate(
    policy: SubscriptionPolicy, forms: dict[str, dict[str, Any]], problems: list[str] | None = None
) -> Verdict:
    """Route a request for an asset with these metadata forms."""
    warnings = list(problems or [])
    raw = _value(forms, policy.classification.form, policy.classification.field)
    classification = raw.strip().lower() if isinstance(raw, str) and raw.strip() else None
    if classification is None:
        route = policy.default
        warnings.append(f"the asset has no {policy.classification.form}.{policy.classification.field}")
        reason = f"no classification, so the default applies: {route}"
    elif (ruled := policy.route_of(classification)) is not None:
        route = ruled
        reason = f"{classification} data: {route}"
    else:
        route = policy.default
        warnings.append(f"classification {classification!r} is not in the policy")
        reason = f"classification {classification!r} has no rule, so the default applies: {route}"
    where = policy.quality_score
    score = _value(forms, where.form, where.field)
    numeric = isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score)
    quality = float(score) if numeric else None
    gate = policy.quality
    if gate is not None and quality is None:
        warnings.append(f"the asset has no numeric {where.form}.{where.field}")
    elif gate is not None and quality is not None and quality < gate.minimum:
        message = f"data quality {quality:g} is below the minimum {gate.minimum:g}"
        if gate.below == "block":
            return Verdict("deny", classification, quality, message, tuple(warnings))
        warnings.append(message)
    if route == "auto_approve" and warnings:
        # Anything an approver should know about means a human looks first.
        route, reason = "review", f"{reason}, but sent to review: {warnings[-1]}"
    return Verdict(route, classification, quality, reason, tuple(warnings))


def self_approval(approver_slack_id: str, requester_slack_id: str | None) -> bool:
    """True when the person deciding is the person who asked; policy refuses that."""
    return requester_slack_id is not None and approver_slack_id == requester_slack_id
