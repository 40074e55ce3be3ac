"""Slack's Block Kit limits the bot's messages keep, and cutting that says what it left out.

Numbers from the Block Kit reference (https://docs.slack.dev/reference/block-kit/) as slack_sdk's models carry
them (slack_sdk/models/blocks/*.py, slack_sdk/models/views/__init__.py); Slack refuses a payload past any of
them with invalid_blocks (messages) or invalid_arguments (views), so the builders cut before sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MESSAGE_BLOCKS = 50  # blocks in one message
VIEW_BLOCKS = 100  # blocks in a modal or the Home tab
SECTION_TEXT = 3000  # a section's text
SECTION_FIELD = 2000  # one of a section's fields
SECTION_FIELDS = 10  # fields in a section
HEADER_TEXT = 150  # a header's plain text
BUTTON_TEXT = 75  # a button's label
BUTTON_VALUE = 2000  # the value a button carries back
OPTION_TEXT = 75  # a menu option's label
OPTION_VALUE = 150  # a menu option's value
URL = 3000  # a button's url, an image's image_url
ACTIONS_ELEMENTS = 25  # buttons and menus in one actions block
CONTEXT_ELEMENTS = 10  # texts and images in one context block
INPUT_LABEL = 2000  # an input block's label
MODAL_TITLE = 24  # a modal's title
MODAL_BUTTON = 24  # a modal's submit and close labels
PRIVATE_METADATA = 3000  # a view's private_metadata
CALLBACK_ID = 255  # a view's callback_id
ACTION_ID = 255  # an element's action_id
MESSAGE_TEXT = 40000  # a message's top-level text: Slack truncates beyond it
IMAGE_ALT_TEXT = 2000  # an image block's alt_text
# An uploaded file's alt_txt: files.getUploadURLExternal refuses a longer one (alt_txt_too_large).
FILE_ALT_TEXT = 1000
# A button's confirmation dialog (Block Kit's confirm object): its title, text, and confirm and deny labels.
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30

ELLIPSIS = "…"


def truncate(text: str, limit: int) -> str:
    """`text` within `limit` characters, ending in "…" when something was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _more(hidden: int) -> str:
    return f"{ELLIPSIS} and {hidden} more"


def join_within(items: Sequence[str], limit: int, separator: str = ", ", prefix: str = "") -> str:
    """`prefix` and as many whole items as fit in `limit`, then "… and N more" naming how many were left out."""
    text = prefix + separator.join(items)
    if len(text) <= limit:
        return text
    shown: list[str] = []
    for i, item in enumerate(items):
        candidate = prefix + separator.join([*shown, item])
        tail = _more(len(items) - i - 1)
        if len(candidate) + len(separator) + len(tail) > limit and i < len(items) - 1:
            break
        if len(candidate) > limit:
            break
        shown.append(item)
    tail = _more(len(items) - len(shown))
    if not shown:
        return truncate(prefix + tail.removeprefix(ELLIPSIS + " ").capitalize(), limit)
    return prefix + separator.join(shown) + separator + tail


def lines_within(lines: Sequence[str], limit: int, prefix: str = "") -> str:
    """`prefix` and as many whole lines as fit in `limit`, then a line "… and N more"."""
    return join_within(lines, limit, "\n", prefix)


# -- the blocks every capability builds, with Slack's limits applied here and nowhere else --------------------


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section; text past Slack's limit is cut with "…" rather than refused."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT)}}


def context(text: str) -> dict[str, Any]:
    """A context line (small grey text) of mrkdwn."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_TEXT)}]}


def button(action_id: str, text: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A button carrying `value` back; a value past Slack's limit is a bug in the caller (cutting would corrupt it)."""
    if len(value) > BUTTON_VALUE:
        raise ValueError(f"the value of button {action_id} is {len(value)} characters, over Slack's {BUTTON_VALUE}")
    made: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_TEXT)},
        "value": value,
    }
    if style:
        made["style"] = style
    return made


def confirm_dialog(title: str, text: str, confirm: str, deny: str = "Cancel") -> dict[str, Any]:
    """A confirmation dialog for a button (its `confirm`): Slack asks before sending the click. Plain text only,
    each part cut to Slack's limit rather than refused."""
    return {
        "title": {"type": "plain_text", "text": truncate(title, CONFIRM_TITLE)},
        "text": {"type": "plain_text", "text": truncate(text, CONFIRM_TEXT)},
        "confirm": {"type": "plain_text", "text": truncate(confirm, CONFIRM_BUTTON)},
        "deny": {"type": "plain_text", "text": truncate(deny, CONFIRM_BUTTON)},
    }
