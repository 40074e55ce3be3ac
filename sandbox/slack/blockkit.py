"""Block Kit as Slack checks it: blocks of a message or a view, answered with Slack's json-pointer messages.

Each limit is read from slack_sdk's models (slack_sdk/models/blocks/*.py, slack_sdk/models/views/__init__.py),
which carry the Block Kit reference's numbers (https://docs.slack.dev/reference/block-kit/); rules those
validators miss are checked here with the reference page beside them. SOURCES.md lists every rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    ImageBlock,
    InputBlock,
    InteractiveElement,
    Option,
    OverflowMenuElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

# https://docs.slack.dev/reference/block-kit/blocks: "up to 50 blocks in each message, and 100 blocks in modals
# or Home tabs".
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = View.blocks_max_length
# https://docs.slack.dev/reference/block-kit/blocks/section-block: each field's text "maximum length ... 2000".
SECTION_FIELD = 2000
# https://docs.slack.dev/reference/block-kit/blocks/markdown-block: 12,000 characters in one payload.
MARKDOWN_TEXT = 12000
# https://docs.slack.dev/reference/views: callback_id and external_id "max length of 255 characters".
VIEW_ID = 255
# Every block type, per https://docs.slack.dev/reference/block-kit/blocks (each page names its surfaces).
MESSAGE_TYPES = {
    "actions", "context", "divider", "file", "header", "image", "input", "markdown", "rich_text", "section",
    "video", "table", "context_actions",
}  # fmt: skip
VIEW_TYPES = {"actions", "context", "divider", "header", "image", "input", "rich_text", "section", "video"}
TEXT_TYPES = {"plain_text", "mrkdwn"}
# A slack_file object names a file the workspace holds: given the object, the held file's name, or None.
FileLookup = Callable[[dict[str, Any]], str | None]
# Slack's answer to a slack_file id of the wrong shape, quoted in python-slack-sdk issue 1521.
FILE_ID = re.compile(r"^[F][A-Z0-9]{8,}$")
# https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object: "Currently only png, jpg,
# jpeg, and gif Slack image files are supported."
IMAGE_FILES = (".png", ".jpg", ".jpeg", ".gif")


class Problems:
    """Slack's messages for one payload: `text [json-pointer:/path]`, the first being the outermost failure."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, pointer: str, text: str = "failed to match all allowed schemas") -> None:
        self.items.append(f"{text} [json-pointer:{pointer}]")

    def too_long(self, pointer: str, limit: int) -> None:
        # Slack's wording for a limit of N characters is "must be less than N+1 characters".
        self.add(pointer, f"must be less than {limit + 1} characters")

    def too_many(self, pointer: str, limit: int) -> None:
        self.add(pointer, f"must contain no more than {limit} items")

    def __bool__(self) -> bool:
        return bool(self.items)


def check_text(
    value: Any, pointer: str, problems: Problems, limit: int | None, *, plain: bool = False, required: bool = True
) -> None:
    """A composition text object: type plain_text or mrkdwn, 1 to `limit` characters."""
    if value is None:
        if required:
            problems.add(pointer, "must provide an object")
        return
    allowed = {"plain_text"} if plain else TEXT_TYPES
    if not isinstance(value, dict) or value.get("type") not in allowed or not isinstance(value.get("text"), str):
        problems.add(pointer)
        return
    text = value["text"]
    if not text:
        problems.add(f"{pointer}/text", "must be more than 0 characters")
    elif limit is not None and len(text) > limit:
        problems.add(pointer)
        problems.too_long(f"{pointer}/text", limit)


def _check_length(value: Any, pointer: str, problems: Problems, limit: int) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        problems.too_long(pointer, limit)


def _check_confirm(confirm: Any, pointer: str, problems: Problems) -> None:
    if confirm is None:
        return
    if not isinstance(confirm, dict):
        problems.add(pointer)
        return
    check_text(confirm.get("title"), f"{pointer}/title", problems, ConfirmObject.title_max_length, plain=True)
    check_text(confirm.get("text"), f"{pointer}/text", problems, ConfirmObject.text_max_length)
    check_text(confirm.get("confirm"), f"{pointer}/confirm", problems, ConfirmObject.confirm_max_length, plain=True)
    check_text(confirm.get("deny"), f"{pointer}/deny", problems, ConfirmObject.deny_max_length, plain=True)


def _check_options(options: Any, pointer: str, problems: Problems, most: int) -> None:
    if options is None:
        return
    if not isinstance(options, list) or not options:
        problems.add(pointer)
        return
    if len(options) > most:
        problems.too_many(pointer, most)
    for i, option in enumerate(options):
        at = f"{pointer}/{i}"
        if not isinstance(option, dict):
            problems.add(at)
            continue
        check_text(option.get("text"), f"{at}/text", problems, Option.label_max_length)
        _check_length(option.get("value"), f"{at}/value", problems, Option.value_max_length)
        check_text(option.get("description"), f"{at}/description", problems, Option.label_max_length, required=False)


def check_element(element: Any, pointer: str, problems: Problems) -> None:
    """An interactive element: action_id, and the limits of buttons, menus and their options."""
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        problems.add(pointer)
        return
    _check_length(element.get("action_id"), f"{pointer}/action_id", problems, InteractiveElement.action_id_max_length)
    kind = element["type"]
    if kind == "button":
        check_text(element.get("text"), f"{pointer}/text", problems, ButtonElement.text_max_length, plain=True)
        _check_length(element.get("value"), f"{pointer}/value", problems, ButtonElement.value_max_length)
        _check_length(element.get("url"), f"{pointer}/url", problems, ButtonElement.url_max_length)
        if element.get("style") not in (None, "primary", "danger"):
            problems.add(f"{pointer}/style", "must be one of primary, danger")
    elif kind in ("static_select", "multi_static_select"):
        _check_options(element.get("options"), f"{pointer}/options", problems, StaticSelectElement.options_max_length)
    elif kind == "overflow":
        _check_options(element.get("options"), f"{pointer}/options", problems, OverflowMenuElement.options_max_length)
    elif kind in ("radio_buttons", "checkboxes"):
        _check_options(element.get("options"), f"{pointer}/options", problems, 10)
    _check_confirm(element.get("confirm"), f"{pointer}/confirm", problems)


def _check_section(block: dict[str, Any], pointer: str, problems: Problems) -> None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and fields is None:
        problems.add(pointer)
        return
    check_text(text, f"{pointer}/text", problems, SectionBlock.text_max_length, required=False)
    if fields is not None:
        if not isinstance(fields, list) or not fields:
            problems.add(f"{pointer}/fields")
        elif len(fields) > SectionBlock.fields_max_length:
            problems.too_many(f"{pointer}/fields", SectionBlock.fields_max_length)
        else:
            for i, field in enumerate(fields):
                check_text(field, f"{pointer}/fields/{i}", problems, SECTION_FIELD)
    if block.get("accessory") is not None and block["accessory"].get("type") != "image":
        check_element(block["accessory"], f"{pointer}/accessory", problems)


def _check_actions(block: dict[str, Any], pointer: str, problems: Problems) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.add(f"{pointer}/elements", "must provide at least 1 item")
        return
    if len(elements) > ActionsBlock.elements_max_length:
        problems.too_many(f"{pointer}/elements", ActionsBlock.elements_max_length)
    seen: set[str] = set()
    for i, element in enumerate(elements):
        check_element(element, f"{pointer}/elements/{i}", problems)
        # https://docs.slack.dev/reference/block-kit/block-elements/button-element: action_id "should be unique
        # among all other action_ids in the containing block"; Slack refuses duplicates with invalid_blocks.
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is not None and action_id in seen:
            problems.add(f"{pointer}/elements/{i}/action_id", f"duplicate action_id {action_id!r} in this block")
        if action_id is not None:
            seen.add(action_id)


def _check_context(block: dict[str, Any], pointer: str, problems: Problems) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.add(f"{pointer}/elements", "must provide at least 1 item")
        return
    if len(elements) > ContextBlock.elements_max_length:
        problems.too_many(f"{pointer}/elements", ContextBlock.elements_max_length)
    for i, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            continue
        check_text(element, f"{pointer}/elements/{i}", problems, None)


def _check_slack_file(value: Any, pointer: str, problems: Problems, files: FileLookup | None) -> None:
    """https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object: `url` or `id`, never both
    ("If both are provided then the payload will be rejected"), of an image file the poster can see."""
    if not isinstance(value, dict) or (value.get("id") is None) == (value.get("url") is None):
        problems.add(pointer)
        return
    if value.get("id") is not None and not (isinstance(value["id"], str) and FILE_ID.match(value["id"])):
        problems.add(f"{pointer}/id", f"input must match regex pattern: {FILE_ID.pattern}")
        return
    name = files(value) if files is not None else None
    if name is None or not name.lower().endswith(IMAGE_FILES):
        # Slack's wording for a file it cannot use, quoted in python-slack-sdk issues 1658 and 1797.
        problems.add(pointer, "invalid slack file")


def _check_image(block: dict[str, Any], pointer: str, problems: Problems, files: FileLookup | None) -> None:
    """https://docs.slack.dev/reference/block-kit/blocks/image-block: alt_text required (2,000), either image_url
    (3,000) or slack_file, an optional plain_text title (2,000)."""
    if not block.get("alt_text"):
        # Slack's wording for an absent required field, e.g. "missing required field: source [json-pointer:/blocks/0]".
        problems.add(pointer, "missing required field: alt_text")
    _check_length(block.get("alt_text"), f"{pointer}/alt_text", problems, ImageBlock.alt_text_max_length)
    url, slack_file = block.get("image_url"), block.get("slack_file")
    if (url is None) == (slack_file is None):
        problems.add(pointer, "must provide exactly one of image_url, slack_file")
        return
    _check_length(url, f"{pointer}/image_url", problems, ImageBlock.image_url_max_length)
    if slack_file is not None:
        _check_slack_file(slack_file, f"{pointer}/slack_file", problems, files)
    check_text(
        block.get("title"), f"{pointer}/title", problems, ImageBlock.title_max_length, plain=True, required=False
    )


def _check_block_fields(block: dict[str, Any], pointer: str, problems: Problems, files: FileLookup | None) -> None:
    kind = block["type"]
    if kind == "section":
        _check_section(block, pointer, problems)
    elif kind == "header":
        check_text(block.get("text"), f"{pointer}/text", problems, HeaderBlock.text_max_length, plain=True)
    elif kind == "actions":
        _check_actions(block, pointer, problems)
    elif kind == "context":
        _check_context(block, pointer, problems)
    elif kind == "image":
        _check_image(block, pointer, problems, files)
    elif kind == "input":
        check_text(block.get("label"), f"{pointer}/label", problems, InputBlock.label_max_length, plain=True)
        hint = block.get("hint")
        check_text(hint, f"{pointer}/hint", problems, InputBlock.hint_max_length, plain=True, required=False)
        check_element(block.get("element"), f"{pointer}/element", problems)
    elif kind == "markdown":
        _check_length(block.get("text"), f"{pointer}/text", problems, MARKDOWN_TEXT)


def _unknown_keys(given: Any, known: Any, pointer: str, problems: Problems) -> None:
    """Properties slack_sdk's model of the block does not know: Slack's schemas allow no others."""
    if isinstance(given, dict) and isinstance(known, dict):
        for key, value in given.items():
            if key not in known:
                if value not in (None, [], ""):
                    problems.add(f"{pointer}/{key}", "unknown property")
            else:
                _unknown_keys(value, known[key], f"{pointer}/{key}", problems)
    elif isinstance(given, list) and isinstance(known, list) and len(given) == len(known):
        for i, (one, other) in enumerate(zip(given, known, strict=True)):
            _unknown_keys(one, other, f"{pointer}/{i}", problems)


def _check_with_sdk(block: dict[str, Any], pointer: str, problems: Problems) -> None:
    """slack_sdk parses the block and runs every validator of every nested model (to_dict validates them)."""
    try:
        parsed = Block.parse(block)
        rendered = parsed.to_dict() if parsed is not None else None
    except (SlackObjectFormationError, TypeError, AttributeError, KeyError, ValueError) as error:
        problems.add(pointer)
        problems.add(pointer, str(error).strip() or type(error).__name__)
        return
    if rendered is None:
        problems.add(f"{pointer}/type", "unsupported type")
        return
    _unknown_keys(block, rendered, pointer, problems)


def check_blocks(
    blocks: Any, pointer: str, problems: Problems, *, types: set[str], most: int, files: FileLookup | None = None
) -> None:
    """A blocks array: at most `most` blocks of `types`, unique block_ids, each block valid; an image's slack_file
    must name a file `files` knows (with no lookup, none is known)."""
    if not isinstance(blocks, list):
        problems.add(pointer, "must provide an array")
        return
    if len(blocks) > most:
        problems.too_many(pointer, most)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, dict) or block.get("type") not in types:
            problems.add(at)
            if isinstance(block, dict):
                problems.add(f"{at}/type", f"unsupported type: {block.get('type')}")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            _check_length(block_id, f"{at}/block_id", problems, Block.block_id_max_length)
            # https://docs.slack.dev/reference/block-kit/blocks: block_id "should be unique for each message and
            # each iteration of a message".
            if block_id in block_ids:
                problems.add(f"{at}/block_id", f"duplicate block_id {block_id!r}")
            block_ids.add(block_id)
        before = len(problems.items)
        _check_block_fields(block, at, problems, files)
        if len(problems.items) == before:
            _check_with_sdk(block, at, problems)


def check_view(view: Any, problems: Problems, *, kinds: tuple[str, ...], files: FileLookup | None = None) -> None:
    """A modal or Home tab: https://docs.slack.dev/reference/views (limits from slack_sdk's View)."""
    pointer = "/view"
    if not isinstance(view, dict):
        problems.add(pointer, "must provide an object")
        return
    kind = view.get("type")
    if kind not in kinds:
        problems.add(f"{pointer}/type", f"must be one of {', '.join(kinds)}")
        return
    if kind == "modal":
        check_text(view.get("title"), f"{pointer}/title", problems, View.title_max_length, plain=True)
        check_text(view.get("close"), f"{pointer}/close", problems, View.close_max_length, plain=True, required=False)
        # views reference: submit is "required when an input block is within the blocks array".
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        submit = view.get("submit")
        check_text(submit, f"{pointer}/submit", problems, View.submit_max_length, plain=True, required=has_input)
    metadata_limit = View.private_metadata_max_length
    _check_length(view.get("private_metadata"), f"{pointer}/private_metadata", problems, metadata_limit)
    _check_length(view.get("callback_id"), f"{pointer}/callback_id", problems, VIEW_ID)
    _check_length(view.get("external_id"), f"{pointer}/external_id", problems, VIEW_ID)
    check_blocks(view.get("blocks"), f"{pointer}/blocks", problems, types=VIEW_TYPES, most=VIEW_BLOCKS, files=files)
