"""Web API methods the fake Slack answers, each checking its arguments as the method's reference page says."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.slack.blockkit import Problems, check_view
from sandbox.slack.messages import check_message, refusal_body, success_body
from sandbox.slack.unfurls import unfurl

if TYPE_CHECKING:
    from sandbox.slack.server import FakeSlack

Body = dict[str, Any]
# files.getUploadURLExternal: "alt_txt_too_large: Description for the image is longer than the limit of 1000
# character".
ALT_TXT = 1000


@dataclass
class Upload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal, and after."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    shared: bool = False  # completed (files.completeUploadExternal), with or without a channel
    alt_txt: str | None = None


def _missing(body: Body, *names: str) -> Body | None:
    # Slack's answer to a missing required argument, e.g. chat.postEphemeral without `user`.
    absent = [name for name in names if body.get(name) in (None, "")]
    if absent:
        return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [
            f"[ERROR] missing required field: {name}" for name in absent
        ]}}  # fmt: skip
    return None


def post_message(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/chat.postMessage"""
    channel, error = fake.workspace.resolve(str(body.get("channel") or ""))
    if error:
        return {"ok": False, "error": error}
    verdict = check_message(body, files=fake.file_named)
    if verdict.error:
        return refusal_body(verdict.error, verdict.messages)
    metadata = body.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {"ok": False, "error": "invalid_metadata_format"}
    if metadata is not None and not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    ):
        return {"ok": False, "error": "invalid_metadata_schema"}
    fake.note_fallback(verdict, "chat.postMessage", body)
    message = fake.store_message(channel.id, verdict.text, verdict.blocks, body.get("thread_ts"), metadata)
    shown = {k: v for k, v in message.items() if k != "metadata"}
    return success_body(verdict, channel=channel.id, ts=shown["ts"], message=shown)


def _page(body: Body, messages: list[Body]) -> Body:
    """One page of `messages`, `limit` at a time, with metadata only when `include_all_metadata` asks for it."""
    limit = max(1, min(int(body.get("limit") or 100), 999))
    start = int(str(body.get("cursor") or "0").removeprefix("next_")) if body.get("cursor") else 0
    with_metadata = str(body.get("include_all_metadata")).lower() in ("true", "1")
    page = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in messages]
    page = page[start : start + limit]
    more = start + limit < len(messages)
    return {
        "ok": True,
        "messages": page,
        "has_more": more,
        "response_metadata": {"next_cursor": f"next_{start + limit}" if more else ""},
    }


def _readable(fake: FakeSlack, body: Body) -> tuple[Any, Body | None]:
    channel, error = fake.workspace.resolve(str(body.get("channel") or ""))
    if error:
        return None, {"ok": False, "error": error}
    return channel, None


def conversations_history(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/conversations.history: a channel's messages (not thread replies),
    newest first, from `oldest`; message metadata only with `include_all_metadata`."""
    channel, refused = _readable(fake, body)
    if refused:
        return refused
    oldest = float(body.get("oldest") or 0)
    found = [
        m
        for (where, _ts), m in sorted(fake.messages.items(), key=lambda item: float(item[0][1]), reverse=True)
        if where == channel.id and float(m["ts"]) >= oldest and m.get("thread_ts", m["ts"]) == m["ts"]
    ]
    return _page(body, found)


def conversations_replies(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/conversations.replies: a thread, its parent first, oldest first."""
    channel, refused = _readable(fake, body)
    if refused:
        return refused
    parent = str(body.get("ts") or "")
    if (channel.id, parent) not in fake.messages:
        return {"ok": False, "error": "thread_not_found"}
    oldest = float(body.get("oldest") or 0)
    found = [
        m
        for (where, _ts), m in sorted(fake.messages.items(), key=lambda item: float(item[0][1]))
        if where == channel.id and (m["ts"] == parent or m.get("thread_ts") == parent) and float(m["ts"]) >= oldest
    ]
    return _page(body, found)


def post_ephemeral(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/chat.postEphemeral"""
    if refused := _missing(body, "channel", "user"):
        return refused
    channel, error = fake.workspace.resolve(str(body["channel"]))
    if error:
        return {"ok": False, "error": error}
    # chat.postEphemeral: "user_not_in_channel: Intended recipient is not in the specified channel."
    if channel.kind == "im" and channel.name != body["user"]:
        return {"ok": False, "error": "user_not_in_channel"}
    verdict = check_message(body, files=fake.file_named)
    if verdict.error:
        return refusal_body(verdict.error, verdict.messages)
    fake.note_fallback(verdict, "chat.postEphemeral", body)
    return success_body(verdict, message_ts=fake.next_ts())


def update(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/chat.update: the message must be one the bot posted there."""
    if refused := _missing(body, "channel", "ts"):
        return refused
    channel, error = fake.workspace.resolve(str(body["channel"]))
    if error:
        return {"ok": False, "error": error}
    message = fake.messages.get((channel.id, str(body["ts"])))
    if message is None:
        return {"ok": False, "error": "message_not_found"}
    verdict = check_message(body, files=fake.file_named)
    if verdict.error:
        return refusal_body(verdict.error, verdict.messages)
    fake.note_fallback(verdict, "chat.update", body)
    message.update(text=verdict.text, blocks=verdict.blocks, edited={"user": fake.workspace.bot_user_id})
    return success_body(verdict, channel=channel.id, ts=message["ts"], text=verdict.text, message=message)


def permalink(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/chat.getPermalink"""
    channel, error = fake.workspace.resolve(str(body.get("channel") or ""))
    if error:
        return {"ok": False, "error": error}
    ts = str(body.get("message_ts") or "")
    if (channel.id, ts) not in fake.messages:
        return {"ok": False, "error": "message_not_found"}
    link = f"https://sandbox.slack.test/archives/{channel.id}/p{ts.replace('.', '')}"
    return {"ok": True, "channel": channel.id, "permalink": link}


def _view_answer(fake: FakeSlack, body: Body, kinds: tuple[str, ...], view_id: str | None = None) -> Body:
    view = body.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except json.JSONDecodeError:
            return {"ok": False, "error": "invalid_arguments"}
    problems = Problems()
    check_view(view, problems, kinds=kinds, files=fake.file_named)
    if problems:
        # A view that fails its schema is refused with invalid_arguments and json-pointers under /view, as
        # reported from views.open in https://github.com/jeremeamia/slack-block-kit/issues/3.
        return refusal_body("invalid_arguments", ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"]
                            + [f"[ERROR] {item}" for item in problems.items])  # fmt: skip
    return {"ok": True, "view": fake.store_view(view, view_id, body.get("user_id"))}


def views_open(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/views.open: a trigger_id and a modal."""
    if refused := _missing(body, "trigger_id"):
        return refused
    return _view_answer(fake, body, ("modal",))


def views_push(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/views.push"""
    if refused := _missing(body, "trigger_id"):
        return refused
    return _view_answer(fake, body, ("modal",))


def views_update(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/views.update: view_id or external_id of a view shown."""
    view_id = body.get("view_id")
    if not view_id and body.get("external_id"):
        view_id = next((k for k, v in fake.views.items() if v.get("external_id") == body["external_id"]), None)
    if not view_id and not body.get("external_id"):
        return {"ok": False, "error": "invalid_arguments"}
    if view_id not in fake.views:
        return {"ok": False, "error": "not_found"}
    if body.get("hash") and body["hash"] != fake.views[view_id]["hash"]:
        return {"ok": False, "error": "hash_conflict"}
    return _view_answer(fake, body, ("modal", "home"), view_id)


def views_publish(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/views.publish: a Home tab for a user."""
    if refused := _missing(body, "user_id"):
        return refused
    return _view_answer(fake, body, ("home",))


def auth_test(fake: FakeSlack, _body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/auth.test"""
    ws = fake.workspace
    return {
        "ok": True,
        "url": "https://sandbox.slack.test/",
        "team": ws.team,
        "user": "opsbot",
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
    }


def usergroup_users(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/usergroups.users.list"""
    members = fake.workspace.usergroups.get(str(body.get("usergroup")))
    if members is None:
        return {"ok": False, "error": "no_such_subteam"}
    return {"ok": True, "users": list(members)}


def users_info(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/users.info"""
    user = fake.workspace.users.get(str(body.get("user")))
    if user is None:
        return {"ok": False, "error": "user_not_found"}
    return {"ok": True, "user": user}


def conversations_open(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/conversations.open: the bot's DM with one user (`users`).

    The fake opens one-to-one DMs only; a group DM (several users) or reopening by `channel` is not something
    opsbot does.
    """
    users = [u for u in str(body.get("users") or "").split(",") if u]
    if not users:
        return {"ok": False, "error": "users_list_not_supplied"}
    if len(users) > 1:
        return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [
            "[ERROR] the fake Slack opens one-to-one DMs only"
        ]}}  # fmt: skip
    if users[0] not in fake.workspace.users:
        return {"ok": False, "error": "user_not_found"}
    return {"ok": True, "channel": {"id": fake.workspace.dm_of(users[0]).id}}


def upload_url(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/files.getUploadURLExternal: filename and length in bytes, and
    optionally alt_txt, the "Description of image for screen-reader"."""
    if refused := _missing(body, "filename", "length"):
        return refused
    try:
        length = int(body["length"])
    except (TypeError, ValueError):
        return {"ok": False, "error": "invalid_arguments"}
    if length < 1:
        return {"ok": False, "error": "invalid_arguments"}
    alt = body.get("alt_txt")
    if alt is not None and len(str(alt)) > ALT_TXT:
        return {"ok": False, "error": "alt_txt_too_large"}
    upload = Upload(f"F{next(fake.ids):09d}", str(body["filename"]), length, alt_txt=alt)
    fake.uploads[upload.id] = upload
    return {"ok": True, "upload_url": f"{fake.url}/upload/v1/{upload.id}", "file_id": upload.id}


def complete_upload(fake: FakeSlack, body: Body) -> Body:
    """https://docs.slack.dev/reference/methods/files.completeUploadExternal: files=[{id, title}], then shares."""
    files = body.get("files")
    if isinstance(files, str):
        try:
            files = json.loads(files)
        except json.JSONDecodeError:
            return {"ok": False, "error": "invalid_arguments"}
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
        return {"ok": False, "error": "invalid_arguments"}
    channel = None
    if body.get("channel_id"):
        channel, error = fake.workspace.resolve(str(body["channel_id"]))
        if error:
            return {"ok": False, "error": error}
    uploads = [fake.uploads.get(str(f["id"])) for f in files]
    # An id never handed out, or whose bytes never reached the upload URL, is not a file Slack has.
    if any(u is None or u.content is None or u.shared for u in uploads):
        return {"ok": False, "error": "file_not_found"}
    answered = []
    for upload, item in zip(uploads, files, strict=True):
        upload.title = item.get("title") or upload.filename
        upload.channel = channel.id if channel else None
        upload.thread_ts = body.get("thread_ts")
        upload.initial_comment = body.get("initial_comment")
        upload.shared = True
        answered.append({"id": upload.id, "name": upload.filename, "title": upload.title, "size": len(upload.content)})
    return {"ok": True, "files": answered}


def retired(_fake: FakeSlack, _body: Body) -> Body:
    """files.upload was sunset on November 12, 2025; new apps were refused it since May 2024.

    https://docs.slack.dev/changelog/2024-04-a-better-way-to-upload-files-is-here-to-stay. Slack answers a
    retired method with method_deprecated, the error its method pages list as "The method has been deprecated".
    """
    return {"ok": False, "error": "method_deprecated"}


ANSWERS: dict[str, Callable[[FakeSlack, Body], Body]] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": permalink,
    "chat.unfurl": unfurl,
    "views.open": views_open,
    "views.update": views_update,
    "views.push": views_push,
    "views.publish": views_publish,
    "auth.test": auth_test,
    "usergroups.users.list": usergroup_users,
    "users.info": users_info,
    "conversations.open": conversations_open,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "files.getUploadURLExternal": upload_url,
    "files.completeUploadExternal": complete_upload,
    "files.upload": retired,
}
