"""Telling one user something privately, wherever the request came from; every reply is checked."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient, WebhookResponse

log = structlog.get_logger(__name__)

# A fallback that Slack refused with its blocks is sent again as plain text, cut to what any message
# surface shows whole (Block Kit caps a section's text at 3,000 characters; chat.postMessage truncates
# text past 40,000).
_PLAIN_FALLBACK_CHARS = 3000


def channel_of(body: dict[str, Any]) -> str | None:
    """The channel a slash command or click came from, if any."""
    channel = body.get("channel")
    if isinstance(channel, dict):
        return channel.get("id")
    return body.get("channel_id")


def user_of(body: dict[str, Any]) -> str | None:
    """The user who typed or clicked."""
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return body.get("user_id")


def response_url_failure(response: WebhookResponse) -> str | None:
    """Why a response_url post failed, or None if Slack took it.

    slack_sdk's WebhookClient returns the HTTP status instead of raising, so every caller must look.
    """
    if response.status_code == 200 and not _says_not_ok(response.body):
        return None
    return f"HTTP {response.status_code}: {str(response.body)[:200]}"


def _says_not_ok(body: str) -> bool:
    try:
        parsed = json.loads(body) if body and body.lstrip().startswith("{") else None
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("ok") is False


def deliver_by_web_api(
    client: WebClient, channel: str | None, user: str | None, text: str, blocks: Sequence[Any] | None = None
) -> bool:
    """Send `text` (and `blocks`) to `user`: an ephemeral in `channel`, else a DM; True if one arrived."""
    routes: list[tuple[str, Callable[..., Any]]] = []
    if channel and user:
        routes.append(("chat.postEphemeral", lambda **kw: client.chat_postEphemeral(channel=channel, user=user, **kw)))
    if user:
        routes.append(("chat.postMessage", lambda **kw: client.chat_postMessage(channel=user, **kw)))
    contents: list[dict[str, Any]] = []
    if blocks:
        contents.append({"text": text, "blocks": list(blocks)})
    contents.append({"text": _plain(text)})
    for method, send in routes:
        for content in contents:
            try:
                send(**content)
                return True
            except SlackApiError as exc:
                log.warning("reply_fallback_failed", via=method, user=user, error=exc.response.get("error"))
    if not routes:
        log.warning("reply_undeliverable", reason="no user to tell")
    return False


def _plain(text: str) -> str:
    if len(text) <= _PLAIN_FALLBACK_CHARS:
        return text
    return text[: _PLAIN_FALLBACK_CHARS - 40] + "\n… (cut: too long to show here)"


def tell_user(client: WebClient, body: dict[str, Any], text: str) -> None:
    """Reply ephemerally: response_url first; if that fails or is absent, an ephemeral in the channel or a DM."""
    user_id = user_of(body)
    response_url = body.get("response_url")
    if isinstance(response_url, str) and response_url:
        message = {"text": text, "response_type": "ephemeral", "replace_original": False}
        try:
            failure = response_url_failure(WebhookClient(response_url, timeout=10).send_dict(message))
        except OSError as exc:
            failure = f"{type(exc).__name__}: {exc}"
        if failure is None:
            return
        log.warning("reply_failed", via="response_url", user=user_id, failure=failure)
    deliver_by_web_api(client, channel_of(body), user_id, text)


class CheckedRespond(Respond):
    """Bolt's `respond()` that notices a refused reply, logs it and delivers it through the Web API instead.

    Slack answers an error on response_url for text too long, invalid blocks, or a URL used up (five
    posts) or expired (30 minutes); Bolt's Respond returns that status and nobody would look.
    """

    def __init__(self, *, response_url: str | None, client: WebClient, channel: str | None, user: str | None) -> None:
        super().__init__(response_url=response_url)
        self._client = client
        self._channel = channel
        self._user = user

    # The same call as Bolt's Respond, which also takes a whole message as a dict in `text` (ours does too).
    def __call__(  # type: ignore[override]
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse | None:
        """Post to response_url; on failure log it and fall back to an ephemeral or a DM."""
        response = None
        if self.response_url:
            try:
                response = super().__call__(
                    text,
                    blocks,
                    attachments,
                    response_type,
                    replace_original,
                    delete_original,
                    unfurl_links,
                    unfurl_media,
                    thread_ts,
                    metadata,
                )
            except OSError as exc:
                failure: str | None = f"{type(exc).__name__}: {exc}"
            else:
                failure = response_url_failure(response)
                if failure is None:
                    return response
        else:
            failure = "the request has no response_url"
        whole = text if isinstance(text, dict) else {"text": text, "blocks": blocks, "delete_original": delete_original}
        log.warning(
            "respond_failed",
            failure=failure,
            user=self._user,
            channel=self._channel,
            delete_original=bool(whole.get("delete_original")),
        )
        if whole.get("delete_original"):
            return response  # nothing to say instead: the message simply stays
        shown = whole.get("blocks")
        blocks_given = shown if isinstance(shown, list | tuple) else None
        deliver_by_web_api(self._client, self._channel, self._user, str(whole.get("text") or ""), blocks_given)
        return response


def upload_to_dm(client: WebClient, user_id: str, **upload: Any) -> None:
    """Upload a file into the DM of opsbot and `user_id`: what answers only one person goes only to them."""
    dm = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(channel=dm, **upload)
