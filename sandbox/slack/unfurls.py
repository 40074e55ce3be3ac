"""Link unfurling in the fake Slack: a person pasting links (the `link_shared` event Slack sends) and
`chat.unfurl`, checked as its reference page says.

Sources: https://docs.slack.dev/reference/events/link_shared (the event's fields: channel, user, message_ts,
unfurl_id, source, links[{domain, url}], is_bot_user_member, user_locale; `thread_ts` only in a thread) and
https://docs.slack.dev/reference/methods/chat.unfurl ("Both channel and ts must be provided together, or
unfurl_id and source must be provided together"; source is composer or conversations_history; "Either unfurls
or metadata must be provided"; unfurls is a JSON map keyed on URLs in the message; errors missing_channel,
missing_ts, missing_unfurl_id, missing_source, invalid_source, missing_unfurls, invalid_unfurls_format,
cannot_parse_attachment, cannot_find_message, cannot_unfurl_message, cannot_unfurl_url).
The detail messages of cannot_parse_attachment are the fake's own (Block Kit's, as chat.postMessage words them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sandbox.slack.blockkit import MESSAGE_BLOCKS, MESSAGE_TYPES, Problems, check_blocks
from sandbox.slack.messages import refusal_body

if TYPE_CHECKING:
    from sandbox.slack.server import FakeSlack

Body = dict[str, Any]
SOURCES = ("composer", "conversations_history")


@dataclass
class SharedLinks:
    """Links a person posted, by (channel, message ts) and by unfurl id; and the unfurls the app gave them."""

    by_message: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    by_unfurl_id: dict[str, list[str]] = field(default_factory=dict)
    unfurled: dict[str, Body] = field(default_factory=dict)

    def clear(self) -> None:
        """Forget everything (FakeSlack.reset)."""
        self.by_message.clear()
        self.by_unfurl_id.clear()
        self.unfurled.clear()


def share_links(fake: FakeSlack, channel: str, user: str, urls: list[str]) -> Body:
    """`user` posts a message with `urls` in `channel`: the message is kept, and the link_shared event Slack sends
    is returned (for links on the app's unfurl domains; the caller sends it to the app)."""
    ts = fake.next_ts()
    known = fake.workspace.channels.get(channel)
    text = " ".join(f"<{url}>" for url in urls)
    with fake.lock:
        fake.messages[(channel, ts)] = {"type": "message", "ts": ts, "text": text, "user": user, "blocks": []}
        fake.links.by_message[(channel, ts)] = list(urls)
        unfurl_id = f"{channel}.{ts}.{len(fake.links.by_unfurl_id):06d}"
        fake.links.by_unfurl_id[unfurl_id] = list(urls)
    return {
        "type": "link_shared",
        "channel": channel,
        "is_bot_user_member": bool(known and known.member),
        "user": user,
        "message_ts": ts,
        "unfurl_id": unfurl_id,
        "source": "conversations_history",
        "links": [{"domain": urlsplit(url).hostname or "", "url": url} for url in urls],
        "user_locale": "en-US",
    }


def _json(value: Any) -> tuple[Any, bool]:
    if isinstance(value, str):
        try:
            return json.loads(value), True
        except ValueError:
            return None, False
    return value, True


def _check_unfurls(unfurls: Any) -> Body | None:
    if not isinstance(unfurls, dict) or not all(isinstance(url, str) and url for url in unfurls):
        return {"ok": False, "error": "invalid_unfurls_format"}
    problems = Problems()
    for url, attachment in unfurls.items():
        if not isinstance(attachment, dict):
            return {"ok": False, "error": "invalid_unfurls_format"}
        blocks = attachment.get("blocks")
        if blocks is not None:
            check_blocks(blocks, f"/unfurls/{url}/blocks", problems, types=MESSAGE_TYPES, most=MESSAGE_BLOCKS)
    if problems:
        return refusal_body("cannot_parse_attachment", [f"[ERROR] {item}" for item in problems.items])
    return None


def _pair(body: Body) -> Body | None:
    has = {name: body.get(name) not in (None, "") for name in ("channel", "ts", "unfurl_id", "source")}
    if has["channel"] or has["ts"]:
        if not has["channel"]:
            return {"ok": False, "error": "missing_channel"}
        if not has["ts"]:
            return {"ok": False, "error": "missing_ts"}
        return None
    if has["unfurl_id"] or has["source"]:
        if not has["unfurl_id"]:
            return {"ok": False, "error": "missing_unfurl_id"}
        if not has["source"]:
            return {"ok": False, "error": "missing_source"}
        if body["source"] not in SOURCES:
            return {"ok": False, "error": "invalid_source"}
        return None
    return {"ok": False, "error": "missing_channel"}


def unfurl(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/chat.unfurl"""
    if refused := _pair(body):
        return refused
    if body.get("unfurls") in (None, "") and body.get("metadata") in (None, ""):
        return {"ok": False, "error": "missing_unfurls"}
    unfurls, parsed = _json(body.get("unfurls") or {})
    if not parsed:
        return {"ok": False, "error": "invalid_unfurls_format"}
    if refused := _check_unfurls(unfurls):
        return refused
    with fake.lock:
        if body.get("channel"):
            key = (str(body["channel"]), str(body["ts"]))
            if key not in fake.messages:
                return {"ok": False, "error": "cannot_find_message"}
            shared = fake.links.by_message.get(key, [])
        else:
            if str(body["unfurl_id"]) not in fake.links.by_unfurl_id:
                return {"ok": False, "error": "invalid_unfurl_id"}
            shared = fake.links.by_unfurl_id[str(body["unfurl_id"])]
        for url in unfurls:
            if url not in shared:
                # A URL the message does not hold; a message the app was never told about has none.
                return {"ok": False, "error": "cannot_unfurl_message" if shared else "cannot_unfurl_url"}
        fake.links.unfurled.update(unfurls)
    return {"ok": True}
