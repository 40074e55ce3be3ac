"""Telling one user something privately, wherever the request came from."""

from __future__ import annotations

from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

log = structlog.get_logger(__name__)


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


def tell_user(client: WebClient, body: dict[str, Any], text: str) -> None:
    """Reply ephemerally: response_url first, else an ephemeral in the channel, else a DM."""
    user_id = user_of(body)
    try:
        response_url = body.get("response_url")
        if response_url:
            WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
            return
        channel = channel_of(body)
        if channel and user_id:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
        elif user_id:
            client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:
        log.warning("reply_failed", user=user_id, error=exc.response.get("error"))
