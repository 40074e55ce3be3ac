"""Block Kit and recorded Slack calls as readable terminal text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.slack_api import Call


@dataclass
class Rendered:
    """Text for the terminal, and the buttons and modal a user could act on next."""

    lines: list[str] = field(default_factory=list)
    buttons: list[dict[str, Any]] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    # Calls Slack refused: the console prints them loudly and fails the step.
    refusals: list[str] = field(default_factory=list)


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return "" if obj is None else str(obj)


def blocks_text(blocks: list[dict[str, Any]], out: Rendered, indent: str = "  ") -> None:
    """Append the blocks' text; number buttons so `press N` can click them."""
    for block in blocks or []:
        kind = block.get("type")
        if kind == "header":
            out.lines.append(f"{indent}== {_text(block.get('text'))} ==")
        elif kind == "section":
            if block.get("text"):
                out.lines += [indent + line for line in _text(block["text"]).splitlines()]
            for item in block.get("fields") or []:
                # Slack shows a field's first line as its label; one line reads better in a terminal.
                out.lines.append(f"{indent}  {_text(item).replace(chr(10), ' ', 1)}")
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                _button(accessory, block, out, indent)
        elif kind == "context":
            out.lines.append(indent + "  ".join(_text(e) for e in block.get("elements") or []))
        elif kind == "divider":
            out.lines.append(indent + "-" * 40)
        elif kind == "actions":
            for element in block.get("elements") or []:
                if element.get("type") == "button":
                    _button(element, block, out, indent)
        elif kind == "input":
            element = block.get("element") or {}
            optional = " (optional)" if block.get("optional") else ""
            out.lines.append(
                f"{indent}[{block.get('block_id')}.{element.get('action_id')}] {_text(block.get('label'))}{optional}"
            )
        elif kind == "image":
            out.lines.append(f"{indent}[image: {block.get('alt_text', '')}]")
        elif kind == "table":
            rows = [[_text(cell) for cell in row] for row in block.get("rows") or []]
            widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows), default=0))]
            out.lines += [indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]


def _button(element: dict[str, Any], block: dict[str, Any], out: Rendered, indent: str) -> None:
    out.buttons.append({**element, "block_id": block.get("block_id", "")})
    link = f" -> {element['url']}" if element.get("url") else ""
    out.lines.append(f"{indent}[{len(out.buttons)}] {_text(element.get('text'))}{link}")


def render_call(call: Call, out: Rendered) -> None:
    """One recorded Web API call as a user would see its effect."""
    body = call.body
    if call.error:
        # Nobody in Slack would see anything of a refused call; the developer must.
        out.refusals.append(f"Slack refused {call.method}: {call.error}")
        out.refusals += ["  " + message for message in call.messages]
        return
    if call.warnings:
        out.refusals.append(f"Slack warned about {call.method}: {', '.join(call.warnings)}")
    first_button = len(out.buttons)
    _render_effect(call, out)
    # A click on a button carries the channel and ts of the message it sits on, as Slack sends them.
    channel = call.answer.get("channel") or body.get("channel")
    ts = call.answer.get("ts") or body.get("ts")
    if call.method in ("chat.postMessage", "chat.update") and channel and ts:
        for button in out.buttons[first_button:]:
            button["_message"] = (str(channel), str(ts))


def _render_effect(call: Call, out: Rendered) -> None:
    body = call.body
    if call.method == "chat.postMessage":
        thread = f" (thread {body['thread_ts']})" if body.get("thread_ts") else ""
        channel = str(body.get("channel"))
        where = f"DM to {channel}" if channel.startswith(("U", "W")) else f"#{channel}"
        out.lines.append(f"[{where}]{thread} opsbot:")
        out.lines += ["  " + line for line in _text(body).splitlines()] if not body.get("blocks") else []
        blocks_text(body.get("blocks") or [], out)
    elif call.method == "chat.update":
        out.lines.append(f"[#{body.get('channel')}] opsbot updated a message:")
        if body.get("blocks"):
            blocks_text(body["blocks"], out)
        else:
            out.lines.append("  " + _text(body))
    elif call.method in ("chat.postEphemeral", "response_url"):
        out.lines.append("(only visible to you) opsbot:")
        if body.get("blocks"):
            blocks_text(body["blocks"], out)
        else:
            out.lines += ["  " + line for line in _text(body).splitlines()]
    elif call.method in ("views.open", "views.push", "views.update"):
        view = body.get("view") or {}
        out.modal = view
        out.lines.append(f"[modal] {_text(view.get('title'))}")
        blocks_text(view.get("blocks") or [], out)
    elif call.method == "views.publish":
        out.lines.append("[Home tab]")
        blocks_text((body.get("view") or {}).get("blocks") or [], out)
    elif call.method == "files.completeUploadExternal":
        out.lines.append(f"[file uploaded to {body.get('channel_id')}]")
