"""Block Kit for /publish: the governance preview, outcomes, registration cards and run summaries."""

from __future__ import annotations

from typing import Any

from bot.blockkit import HEADER_TEXT, SECTION_TEXT, button, join_within, lines_within, section, truncate
from bot.wording import mention
from handlers.publishing import ids
from handlers.publishing.catalog import Preview
from handlers.publishing.runs import RunView

# A summary offers a preview button for this many new assets, each in its own actions block: an action_id
# must be unique within its block, and every preview button shares the one the listener is registered for.
MAX_PREVIEW_BUTTONS = 5
# A failed table's error is cut to about a line, so the section lists more tables, each with why it failed.
TABLE_ERROR = 300
# Registrations nobody in Slack asked for: by the trusted path they came through, never as a Slack mention.
REQUESTERS = {"inbox": "a registration event on the events queue", "cli": "`opsbot publish register`"}


# A listing DataZone is still creating: a second publish now would race the first, so the card offers none.
CREATING = "CREATING"


def preview_title(preview: Preview, publish: bool) -> str:
    """The card's question: "Publish X?", "Publish X again?" for a listed asset, or that a publish is under way."""
    if not publish:
        return f"Unpublish {preview.name}?"
    if preview.listing_status == CREATING:
        return f"{preview.name} is being published"
    # DataZone accepts a publish of a listed asset: it lists the asset's current revision.
    return f"Publish {preview.name} again?" if preview.listing_status == "ACTIVE" else f"Publish {preview.name}?"


def preview_card(preview: Preview, publish: bool) -> list[dict[str, Any]]:
    """The asset, what the catalog would show, what is missing, and Confirm / Cancel."""
    verb = "Publish" if publish else "Unpublish"
    relisting = publish and preview.listing_status == "ACTIVE"
    quality = f"{preview.quality:.2f}" if preview.quality is not None else "not recorded"
    listing = (preview.listing_status or "not published").lower().replace("_", " ")
    facts = [
        f"*Type:* {preview.type_name}",
        f"*Owning project:* {preview.owner_project_name} (`{preview.owner_project_id}`)",
        f"*Data quality score:* {quality}",
        f"*Listing:* {listing}",
    ]
    # Forms and glossary terms may be many; they share what the facts leave of the section, so the facts the
    # decision rests on are never the part cut off.
    room = (SECTION_TEXT - len("\n".join(facts)) - 2) // 2
    lists = [
        join_within(preview.forms, room, prefix="*Forms:* ") if preview.forms else "*Forms:* none",
        join_within(preview.glossary_terms, room, prefix="*Glossary terms:* ")
        if preview.glossary_terms
        else "*Glossary terms:* none",
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(preview_title(preview, publish), HEADER_TEXT)},
        },
        section("\n".join([*facts[:2], *lists, *facts[2:]])),
    ]
    if relisting:
        blocks.append(
            section(":information_source: Already published. Publishing again lists the asset's current metadata.")
        )
    ref = ids.AssetRef(
        domain=preview.domain_id, asset=preview.asset_id, owner=preview.owner_project_id, publish=publish
    ).model_dump_json()
    cancel = button(ids.CANCEL, "Cancel", "cancel")
    if publish and preview.listing_status == CREATING:
        blocks.append(
            section(":hourglass: DataZone is still creating its listing; preview it again once it is active.")
        )
        blocks.append({"type": "actions", "elements": [cancel]})
    elif publish and preview.missing:
        head = ":no_entry: *Required metadata is missing, so this cannot be published:*\n"
        blocks.append(section(lines_within([f"• {m}" for m in preview.missing], SECTION_TEXT, prefix=head)))
        override = button(ids.OVERRIDE, "Publish anyway (admins)", ref, "danger")
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
                "elements": [
                    button(ids.CONFIRM, "Publish again" if relisting else f"Confirm {verb.lower()}", ref, "primary"),
                    cancel,
                ],
            }
        )
    return blocks


def outcome(name: str, text: str) -> list[dict[str, Any]]:
    """The card once decided: one line, no buttons."""
    return [section(f"*{name}*: {text}")]


def registration_card(label: str, scope: str, user_id: str) -> list[dict[str, Any]]:
    """The card a registration's progress threads under."""
    by = mention(user_id, REQUESTERS.get(user_id, user_id))
    return [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(f"Registering {label}", HEADER_TEXT)}},
        section(f"{scope}\nRequested by {by}. Progress follows in the thread."),
    ]


def run_status(status: str) -> str:
    """A run's status as a word: DataZone's SUCCESS reads "succeeded", like its PARTIALLY_SUCCEEDED."""
    return {"SUCCESS": "succeeded"}.get(status, status.lower().replace("_", " "))


def run_summary(view: RunView, domain_id: str, gate: bool) -> list[dict[str, Any]]:
    """Counts, failed tables with their errors, and created assets (with a preview button when gated)."""
    stats = view.statistics
    counts = ", ".join(f"{stats.get(k, 0)} {k}" for k in ("added", "updated", "unchanged", "skipped", "failed"))
    status = run_status(view.status)
    blocks = [section(f"*Run `{view.run_id}` of {view.data_source_name}: {status}.*\n{counts}")]
    if view.failed:
        errors = [truncate(a.error or "no error message", TABLE_ERROR) for a in view.failed]
        lines = [f"• `{a.table}` ({a.database}): {error}" for a, error in zip(view.failed, errors, strict=True)]
        blocks.append(section(lines_within(lines, SECTION_TEXT, prefix=":x: *Failed tables:*\n")))
    if view.error and not view.failed:
        blocks.append(section(f":x: {view.error}"))
    if view.created:
        if gate:
            text = "*New assets wait for the governance preview before publishing:*\n"
        else:
            text = "*New assets, published on import by the policy:*\n"
        blocks.append(section(lines_within([f"• `{a.table}`" for a in view.created], SECTION_TEXT, prefix=text)))
        if gate:
            blocks += [
                {
                    "type": "actions",
                    "elements": [
                        button(
                            ids.PREVIEW,
                            f"Preview {a.table}",
                            ids.PreviewRef(domain=domain_id, asset=a.asset_id or "").model_dump_json(),
                        )
                    ],
                }
                for a in view.created[:MAX_PREVIEW_BUTTONS]
            ]
    return blocks


def run_text(view: RunView) -> str:
    """The summary as plain text, for notifications and the CLI."""
    stats = view.statistics
    counts = ", ".join(f"{stats.get(k, 0)} {k}" for k in ("added", "updated", "unchanged", "skipped", "failed"))
    lines = [f"Run {view.run_id} of {view.data_source_name}: {run_status(view.status)} ({counts})"]
    lines += [f"  failed {a.database}.{a.table}: {a.error or 'no error message'}" for a in view.failed]
    lines += [f"  created {a.database}.{a.table} (asset {a.asset_id})" for a in view.created]
    return "\n".join(lines)
