"""What Slack checks in a message payload (chat.postMessage, chat.postEphemeral, chat.update, response_url)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sandbox.slack.blockkit import MESSAGE_BLOCKS, MESSAGE_TYPES, FileLookup, Problems, check_blocks

# https://docs.slack.dev/changelog/2018-04-truncating-really-long-messages: text over 40,000 characters is
# truncated and posted, with the warning message_truncated and this message.
TEXT_LIMIT = 40000
TRUNCATED = "[WARN] Your message was truncated but still posted. The `text` field accepts up to 40,000 characters."
# https://docs.slack.dev/reference/methods/chat.postMessage: "too_many_attachments: Too many attachments were
# provided with this message. A maximum of 100 attachments are allowed on a message."
ATTACHMENTS_LIMIT = 100


@dataclass
class Verdict:
    """Slack's answer to a message payload: an error with its messages, or the text to post and warnings."""

    error: str | None = None
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    # Not Slack's: slack_sdk warns (slack_sdk/web/internal_utils.py, _warn_if_message_text_content_is_missing)
    # when blocks come without a top-level `text`, which notifications and screen readers show instead.
    missing_fallback: bool = False


def _json_field(body: dict[str, Any], key: str) -> tuple[Any, bool]:
    value = body.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value), True
        except json.JSONDecodeError:
            return None, False
    return value, True


def check_message(body: dict[str, Any], *, needs_content: bool = True, files: FileLookup | None = None) -> Verdict:
    """Slack's checks of text, blocks and attachments, in the order its errors take precedence; `files` knows
    the workspace's files that image blocks may show."""
    verdict = Verdict()
    blocks, parsed = _json_field(body, "blocks")
    if not parsed or (blocks is not None and not isinstance(blocks, list)):
        # chat.postMessage: "invalid_blocks_format: The blocks is not a valid JSON object or doesn't match the
        # Block Kit syntax."
        verdict.error = "invalid_blocks_format"
        return verdict
    attachments, parsed = _json_field(body, "attachments")
    if not parsed or (attachments is not None and not isinstance(attachments, list)):
        verdict.error = "invalid_attachments"
        return verdict
    text = body.get("text")
    text = "" if text is None else str(text)
    if needs_content and not text.strip() and not blocks and not attachments:
        # chat.postMessage: "no_text: No message text provided".
        verdict.error = "no_text"
        return verdict
    if attachments and len(attachments) > ATTACHMENTS_LIMIT:
        verdict.error = "too_many_attachments"
        return verdict
    if blocks:
        problems = Problems()
        check_blocks(blocks, "/blocks", problems, types=MESSAGE_TYPES, most=MESSAGE_BLOCKS, files=files)
        if problems:
            verdict.error = "invalid_blocks"
            verdict.messages = [f"[ERROR] {item}" for item in problems.items]
            return verdict
        verdict.missing_fallback = not text.strip()
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT]
        verdict.warnings.append("message_truncated")
        verdict.messages.append(TRUNCATED)
    verdict.text, verdict.blocks = text, blocks or []
    return verdict


def refusal_body(error: str, messages: list[str]) -> dict[str, Any]:
    """Slack's error answer; its detail goes in `errors` and `response_metadata.messages`."""
    body: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        body["errors"] = [m.removeprefix("[ERROR] ") for m in messages]
        body["response_metadata"] = {"messages": messages}
    return body


def success_body(verdict: Verdict, **fields: Any) -> dict[str, Any]:
    """Slack's ok answer, with warnings in `warning` and `response_metadata` as Slack sends them."""
    body: dict[str, Any] = {"ok": True, **fields}
    if verdict.warnings:
        body["warning"] = ",".join(verdict.warnings)
        body["response_metadata"] = {"warnings": verdict.warnings, "messages": verdict.messages}
    return body
