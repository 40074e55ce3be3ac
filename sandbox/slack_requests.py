"""Builders of the requests Slack sends to an app, signed with the app's signing secret."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


class SlackRequests:
    """Makes signed slash-command, block_actions, view_submission and event requests."""

    def __init__(self, signing_secret: str, *, team_id: str = "T0OPSBOT", response_url: str = "") -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self.team_id = team_id
        self.response_url = response_url

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        """Headers Slack would send with `body`."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "x-slack-request-timestamp": ts,
            "x-slack-signature": self._verifier.generate_signature(timestamp=ts, body=body),
        }

    def slash_command_payload(
        self, command: str, text: str, *, user_id: str, channel_id: str = "C0GENERAL", response_url: str | None = None
    ) -> dict[str, str]:
        """The fields of a slash command, as Socket Mode delivers them."""
        return {
            "token": "legacy-unused",
            "team_id": self.team_id,
            "team_domain": "sandbox",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0OPSBOT",
            "is_enterprise_install": "false",
            "response_url": response_url if response_url is not None else self.response_url,
            "trigger_id": f"{int(time.time())}.trigger",
        }

    def slash_command(self, command: str, text: str, **fields: Any) -> tuple[str, dict[str, str]]:
        """A form-encoded, signed slash command, as HTTP mode receives it."""
        body = urlencode(self.slash_command_payload(command, text, **fields))
        return body, {"content-type": "application/x-www-form-urlencoded", **self.sign(body)}

    def _interactive(self, payload: dict[str, Any]) -> tuple[str, dict[str, str]]:
        body = urlencode({"payload": json.dumps(payload)})
        return body, {"content-type": "application/x-www-form-urlencoded", **self.sign(body)}

    def block_action(
        self,
        action_id: str,
        *,
        user_id: str,
        value: str = "",
        block_id: str = "b",
        channel_id: str | None = "C0GENERAL",
        message_ts: str | None = None,
        response_url: str | None = None,
    ) -> tuple[str, dict[str, str]]:
        """A button click (block_actions) on a message, or in a view when channel_id is None."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "sandbox"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A0OPSBOT",
            "trigger_id": f"{int(time.time())}.trigger",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if channel_id is not None:
            payload["channel"] = {"id": channel_id, "name": "general"}
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts or "1.000001",
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["message"] = {"ts": message_ts or "1.000001", "text": "", "blocks": []}
            url = response_url if response_url is not None else self.response_url
            if url:
                payload["response_url"] = url
        return self._interactive(payload)

    def view_submission(
        self, callback_id: str, *, user_id: str, values: dict[str, Any] | None = None, private_metadata: str = ""
    ) -> tuple[str, dict[str, str]]:
        """A modal submitted by `user_id`."""
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "sandbox"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A0OPSBOT",
            "trigger_id": f"{int(time.time())}.trigger",
            "view": {
                "id": "V0MODAL",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values or {}},
                "hash": "h",
                "team_id": self.team_id,
            },
        }
        return self._interactive(payload)

    def event(self, event: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """An Events API callback."""
        body = json.dumps(
            {
                "token": "legacy-unused",
                "team_id": self.team_id,
                "api_app_id": "A0OPSBOT",
                "type": "event_callback",
                "event_id": f"Ev{int(time.time() * 1000)}",
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [{"team_id": self.team_id, "user_id": "U0OPSBOT", "is_bot": True}],
            }
        )
        return body, {"content-type": "application/json", **self.sign(body)}
