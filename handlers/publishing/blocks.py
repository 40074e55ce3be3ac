"""Block Kit for /publish: the governance preview, outcomes, registration cards and run summaries."""

from __future__ import annotations

from typing import Any

from handlers.publishing import ids
from handlers.publishing.catalog import Preview
from handlers.publishing.runs import RunView

# Slack allows 50 blocks a message and 25 elements an actions block: a summary lists this many tables.
MAX_LINES = 20


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def preview_card(preview: Preview, publish: bool) -> list[dict[str, Any]]:
    """The asset, what the catalog would show, what is missing, and Confirm / Cancel."""
    verb = "Publish" if publish else "Unpublish"
    quality = f"{preview.quality:.2f}" if preview.quality is not None else "not recorded"
    listing = (preview.listing_status or "not published").lower().replace("_", " ")
    lines = [
        f"*Type:* {preview.type_name}",
        f"*Owning project:* {preview.owner_project_name} (`{preview.owner_project_id}`)",
        f"*Forms:* {', '.join(preview.forms) or 'none'}",
        f"*Glossary terms:* {', '.join(preview.glossary_terms) or 'none'}",
        f"*Data quality score:* {quality}",
        f"*Listing:* {listing}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{verb} {preview.name}?"[:150]}},
        _section("\n".join(lines)),
    ]
    ref = ids.AssetRef(
        domain=preview.domain_id, asset=preview.asset_id, owner=preview.owner_project_id, publish=publish
    ).model_dump_json()
    cancel = _button("Cancel", ids.CANCEL, "cancel")
    if publish and preview.missing:
        missing = "\n".join(f"• {m}" for m in preview.missing)
        blocks.append(_section(f":no_entry: *Required metadata is missing, so this cannot be published:*\n{missing}"))
        override = _button("Publish anyway (admins)", ids.OVERRIDE, ref, "danger")
        override["confirm"] = {
            "title": {"type": "plain_text", "text": "Override the gate?"},
            "text": {"type": "mrkdwn", "text": "The override is written to the audit log with your name."},
            "confirm": {"type": "plain_text", "text": "Publish anyway"},
            "deny": {"type": "plain_text", "text": "Back"},
        }
        blocks.append({"type": "actions", "elements": [override, cancel]})
    else:
        blocks.append(
            {
                "type": "actions",
                "elements": [_button(f"Confirm {verb.lower()}", ids.CONFIRM, ref, "primary"), cancel],
            }
        )
    return blocks


def outcome(name: str, text: str) -> list[dict[str, Any]]:
    """The card once decided: one line, no buttons."""
    return [_section(f"*{name}*: {text}")]


def registration_card(label: str, scope: str, user_id: str) -> list[dict[str, Any]]:
    """The card a registration's progress threads under."""
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Registering {label}"[:150]}},
        _section(f"{scope}\nRequested by <@{user_id}>. Progress follows in the thread."),
    ]


def run_summary(view: RunView, domain_id: str, gate: bool) -> list[dict[str, Any]]:
    """Counts, failed tables with their errors, and created assets (with a preview button when gated)."""
    stats = view.statistics
    counts = ", ".join(f"{stats.get(k, 0)} {k}" for k in ("added", "updated", "unchanged", "skipped", "failed"))
    status = view.status.lower().replace("_", " ")
    blocks = [_section(f"*Run `{view.run_id}` of {view.data_source_name}: {status}.*\n{counts}")]
    if view.failed:
        lines = [f"• `{a.table}` ({a.database}): {a.error or 'no error message'}" for a in view.failed[:MAX_LINES]]
        blocks.append(_section(":x: *Failed tables:*\n" + "\n".join(lines)))
    if view.error and not view.failed:
        blocks.append(_section(f":x: {view.error}"))
    if view.created:
        created = view.created[:MAX_LINES]
        more = f"\n…and {len(view.created) - len(created)} more." if len(view.created) > len(created) else ""
        if gate:
            text = "*New assets wait for the governance preview before publishing:*"
        else:
            text = "*New assets, published on import by the policy:*"
        blocks.append(_section(text + "\n" + "\n".join(f"• `{a.table}`" for a in created) + more))
        if gate:
            buttons = [
                _button(
                    f"Preview {a.table}"[:75],
                    ids.PREVIEW,
                    ids.PreviewRef(domain=domain_id, asset=a.asset_id or "").model_dump_json(),
                )
                for a in created[:5]
            ]
            blocks.append({"type": "actions", "elements": buttons})
    return blocks


def run_text(view: RunView) -> str:
    """The summary as plain text, for notifications and the CLI."""
    stats = view.statistics
    counts = ", ".join(f"{stats.get(k, 0)} {k}" for k in ("added", "updated", "unchanged", "skipped", "failed"))
    lines = [f"Run {view.run_id} of {view.data_source_name}: {view.status.lower().replace('_', ' ')} ({counts})"]
    lines += [f"  failed {a.database}.{a.table}: {a.error or 'no error message'}" for a in view.failed]
    lines += [f"  created {a.database}.{a.table} (asset {a.asset_id})" for a in view.created]
    return "\n".join(lines)
