"""Builders of the requests Slack sends to an app, signed with the app's signing secret.

Every builder takes a `variant`: where the app is installed and who acts. The shapes follow published
payloads, kept with their sources in tests/conformance/SOURCES.md:
- "workspace": an ordinary workspace. Interactive payloads carry `"enterprise": null` (python-slack-sdk
  tests/slack_sdk/socket_mode/mock_socket_mode_server.py, bolt-python
  tests/scenario_tests/test_block_actions_respond.py).
- "grid": a workspace of an Enterprise Grid org. `team` names its org (`enterprise_id`, `enterprise_name`),
  `enterprise` is the org, commands carry `enterprise_id`/`enterprise_name` (bolt-python
  tests/scenario_tests/test_block_actions.py and test_view_submission.py; java-slack-sdk
  json-logs/samples/app-backend/slash-commands/SlashCommandPayload.json).
- "org": an org-wide install. Interactive payloads carry `"team": null`, the org in `enterprise` and
  `is_enterprise_install: true`; the user's `team_id` is the workspace they clicked in (bolt-python
  tests/slack_bolt/request/test_request.py); event authorizations carry `team_id: null` (bolt-python
  tests/scenario_tests/test_events_org_apps.py).
- "connect": a Slack Connect channel. The acting user and `team` are the other organisation's, the view's
  `app_installed_team_id` is ours (bolt-python tests/scenario_tests/test_view_submission.py, connect_channel_payload).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

Variant = Literal["workspace", "grid", "org", "connect"]
VARIANTS: tuple[Variant, ...] = ("workspace", "grid", "org", "connect")

APP_ID = "A0OPSBOT"
ENTERPRISE_ID, ENTERPRISE_NAME = "E0OPSBOT", "Sandbox Org"
# The other side of a Slack Connect channel: another company's workspace in its own org.
PARTNER_TEAM, PARTNER_DOMAIN = "T0PARTNER", "partner"
PARTNER_ENTERPRISE, PARTNER_ENTERPRISE_NAME = "E0PARTNER", "Partner Org"


@dataclass(frozen=True)
class _Who:
    """Where a request comes from, as each variant names it."""

    team: dict[str, Any] | None
    enterprise: dict[str, str] | None
    user_team: str
    enterprise_install: bool
    command_team: str
    command_domain: str
    command_enterprise: tuple[str, str] | None


class SlackRequests:
    """Makes signed slash-command, block_actions, view_submission, view_closed, event and Socket Mode requests."""

    def __init__(self, signing_secret: str, *, team_id: str = "T0OPSBOT", response_url: str = "") -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self.team_id = team_id
        self.response_url = response_url

    # -- where the request comes from ----------------------------------------------------------

    def _who(self, variant: Variant) -> _Who:
        ours = {"id": self.team_id, "domain": "sandbox"}
        org = {"id": ENTERPRISE_ID, "name": ENTERPRISE_NAME}
        grid_team = {**ours, "enterprise_id": ENTERPRISE_ID, "enterprise_name": ENTERPRISE_NAME}
        if variant == "workspace":
            return _Who(ours, None, self.team_id, False, self.team_id, "sandbox", None)
        if variant == "grid":
            return _Who(grid_team, org, self.team_id, False, self.team_id, "sandbox", (ENTERPRISE_ID, ENTERPRISE_NAME))
        if variant == "org":
            return _Who(None, org, self.team_id, True, self.team_id, "sandbox", (ENTERPRISE_ID, ENTERPRISE_NAME))
        if variant == "connect":
            partner = {
                "id": PARTNER_TEAM,
                "domain": PARTNER_DOMAIN,
                "enterprise_id": PARTNER_ENTERPRISE,
                "enterprise_name": PARTNER_ENTERPRISE_NAME,
            }
            return _Who(
                partner,
                {"id": PARTNER_ENTERPRISE, "name": PARTNER_ENTERPRISE_NAME},
                PARTNER_TEAM,
                False,
                PARTNER_TEAM,
                PARTNER_DOMAIN,
                (PARTNER_ENTERPRISE, PARTNER_ENTERPRISE_NAME),
            )
        raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")

    def _user(self, user_id: str, who: _Who) -> dict[str, str]:
        name = user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": who.user_team}

    @staticmethod
    def _trigger_id() -> str:
        # Slack's trigger ids are "<number>.<number>.<hex>".
        return f"{int(time.time() * 1000)}.{int(time.time())}.{uuid.uuid4().hex}"

    # -- signing -------------------------------------------------------------------------------

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        """Headers Slack would send with `body`."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "x-slack-request-timestamp": ts,
            "x-slack-signature": self._verifier.generate_signature(timestamp=ts, body=body),
        }

    def form(self, fields: dict[str, str]) -> tuple[str, dict[str, str]]:
        """A signed form post (slash commands)."""
        body = urlencode(fields)
        return body, {"content-type": "application/x-www-form-urlencoded", **self.sign(body)}

    def interactive(self, payload: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """A signed interactive request: the payload JSON in the form field `payload`."""
        body = urlencode({"payload": json.dumps(payload)})
        return body, {"content-type": "application/x-www-form-urlencoded", **self.sign(body)}

    def json(self, payload: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """A signed JSON post (Events API)."""
        body = json.dumps(payload)
        return body, {"content-type": "application/json", **self.sign(body)}

    # -- slash commands ------------------------------------------------------------------------

    def slash_command_payload(
        self,
        command: str,
        text: str,
        *,
        user_id: str,
        channel_id: str = "C0GENERAL",
        response_url: str | None = None,
        variant: Variant = "workspace",
        channel_name: str = "general",
    ) -> dict[str, str]:
        """The fields of a slash command, as Socket Mode delivers them (HTTP mode form-encodes the same)."""
        who = self._who(variant)
        fields = {
            "token": "legacy-unused",
            "team_id": who.command_team,
            "team_domain": who.command_domain,
        }
        if who.command_enterprise:
            fields["enterprise_id"], fields["enterprise_name"] = who.command_enterprise
        fields.update(
            {
                "channel_id": channel_id,
                "channel_name": channel_name,
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": command,
                "text": text,
                "api_app_id": APP_ID,
                # A form field: Slack writes the boolean as text.
                "is_enterprise_install": "true" if who.enterprise_install else "false",
                "response_url": response_url if response_url is not None else self.response_url,
                "trigger_id": self._trigger_id(),
            }
        )
        return fields

    def slash_command(self, command: str, text: str, **fields: Any) -> tuple[str, dict[str, str]]:
        """A form-encoded, signed slash command, as HTTP mode receives it."""
        return self.form(self.slash_command_payload(command, text, **fields))

    # -- block_actions -------------------------------------------------------------------------

    @staticmethod
    def button(action_id: str, value: str = "", *, block_id: str = "b", text: str = "Button", style: str | None = None):
        """A clicked button as `actions[]` carries it."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "text": {"type": "plain_text", "text": text, "emoji": True},
            "value": value,
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }
        if style:
            action["style"] = style
        return action

    @staticmethod
    def static_select(action_id: str, value: str, *, text: str = "", block_id: str = "b") -> dict[str, Any]:
        """A static_select choice as `actions[]` carries it."""
        return {
            "type": "static_select",
            "action_id": action_id,
            "block_id": block_id,
            "selected_option": {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value},
            "action_ts": f"{time.time():.6f}",
        }

    @staticmethod
    def datepicker(action_id: str, date: str | None, *, block_id: str = "b") -> dict[str, Any]:
        """A datepicker choice (YYYY-MM-DD) as `actions[]` carries it."""
        return {
            "type": "datepicker",
            "action_id": action_id,
            "block_id": block_id,
            "selected_date": date,
            "action_ts": f"{time.time():.6f}",
        }

    def block_actions_payload(
        self,
        action: dict[str, Any],
        *,
        user_id: str,
        variant: Variant = "workspace",
        channel_id: str | None = "C0GENERAL",
        message_ts: str | None = None,
        ephemeral: bool = False,
        view: dict[str, Any] | None = None,
        response_url: str | None = None,
    ) -> dict[str, Any]:
        """A block_actions payload: on a message in `channel_id`, an ephemeral (no `message`), or in `view`."""
        who = self._who(variant)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id, who),
            "api_app_id": APP_ID,
            "token": "legacy-unused",
        }
        ts = message_ts or "1700000000.000100"
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel_id,
                "is_ephemeral": ephemeral,
            }
        payload["trigger_id"] = self._trigger_id()
        payload["team"] = who.team
        payload["enterprise"] = who.enterprise
        payload["is_enterprise_install"] = who.enterprise_install
        if view is not None:
            payload["view"] = view
        else:
            payload["channel"] = {"id": channel_id, "name": "general"}
            if not ephemeral:
                # Slack sends the clicked message back, except for ephemerals it no longer has.
                payload["message"] = {
                    "bot_id": "B0OPSBOT",
                    "type": "message",
                    "text": "",
                    "user": "U0OPSBOT",
                    "ts": ts,
                    "app_id": APP_ID,
                    "blocks": [],
                    "team": self.team_id,
                }
        payload["state"] = {"values": {}}
        if view is None:
            url = response_url if response_url is not None else self.response_url
            if url:  # Slack always sends one here; left out only when the caller has nowhere to point it
                payload["response_url"] = url
        payload["actions"] = [action]
        return payload

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
        variant: Variant = "workspace",
        ephemeral: bool = False,
    ) -> tuple[str, dict[str, str]]:
        """A button click (block_actions) on a message, or in a view when channel_id is None."""
        view = self.view_payload("", user_id=user_id, variant=variant) if channel_id is None else None
        payload = self.block_actions_payload(
            self.button(action_id, value, block_id=block_id),
            user_id=user_id,
            variant=variant,
            channel_id=channel_id,
            message_ts=message_ts,
            ephemeral=ephemeral,
            view=view,
            response_url=response_url,
        )
        return self.interactive(payload)

    # -- views ---------------------------------------------------------------------------------

    def view_payload(
        self,
        callback_id: str,
        *,
        user_id: str,
        variant: Variant = "workspace",
        values: dict[str, Any] | None = None,
        private_metadata: str = "",
        blocks: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The `view` of a modal as Slack sends it back: its blocks as opened, state, hash, and the ids of the app
        that opened it."""
        who = self._who(variant)
        view_id = f"V{uuid.uuid4().hex[:10].upper()}"
        return {
            "id": view_id,
            "team_id": who.user_team,
            "type": "modal",
            "blocks": blocks or [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values or {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": "opsbot", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            # The workspace (or org) the app is installed in, whoever submits.
            "app_installed_team_id": ENTERPRISE_ID if who.enterprise_install else self.team_id,
            "bot_id": "B0OPSBOT",
        }

    def view_submission_payload(
        self,
        callback_id: str,
        *,
        user_id: str,
        values: dict[str, Any] | None = None,
        private_metadata: str = "",
        variant: Variant = "workspace",
        blocks: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A view_submission payload."""
        who = self._who(variant)
        return {
            "type": "view_submission",
            "team": who.team,
            "user": self._user(user_id, who),
            "api_app_id": APP_ID,
            "token": "legacy-unused",
            "trigger_id": self._trigger_id(),
            "view": self.view_payload(
                callback_id,
                user_id=user_id,
                variant=variant,
                values=values,
                private_metadata=private_metadata,
                blocks=blocks,
            ),
            "response_urls": [],
            "is_enterprise_install": who.enterprise_install,
            "enterprise": who.enterprise,
        }

    def view_submission(
        self,
        callback_id: str,
        *,
        user_id: str,
        values: dict[str, Any] | None = None,
        private_metadata: str = "",
        variant: Variant = "workspace",
        blocks: list[dict[str, Any]] | None = None,
    ) -> tuple[str, dict[str, str]]:
        """A modal submitted by `user_id`; `blocks` are the view's as it was opened, which Slack sends back."""
        return self.interactive(
            self.view_submission_payload(
                callback_id,
                user_id=user_id,
                values=values,
                private_metadata=private_metadata,
                variant=variant,
                blocks=blocks,
            )
        )

    def view_closed_payload(
        self, callback_id: str, *, user_id: str, private_metadata: str = "", variant: Variant = "workspace"
    ) -> dict[str, Any]:
        """A view_closed payload (sent only for modals opened with notify_on_close)."""
        who = self._who(variant)
        view = self.view_payload(callback_id, user_id=user_id, variant=variant, private_metadata=private_metadata)
        view["notify_on_close"] = True
        return {
            "type": "view_closed",
            "team": who.team,
            "user": self._user(user_id, who),
            "api_app_id": APP_ID,
            "token": "legacy-unused",
            "view": view,
            "is_cleared": False,
            "is_enterprise_install": who.enterprise_install,
            "enterprise": who.enterprise,
        }

    def view_closed(self, callback_id: str, *, user_id: str, **fields: Any) -> tuple[str, dict[str, str]]:
        """A modal closed by `user_id`."""
        return self.interactive(self.view_closed_payload(callback_id, user_id=user_id, **fields))

    # State values of each input element opsbot's modals use, as view.state.values carries them.

    @staticmethod
    def text_value(value: str | None) -> dict[str, Any]:
        """A plain_text_input's state (None when left empty)."""
        return {"type": "plain_text_input", "value": value}

    @staticmethod
    def select_value(value: str | None, text: str = "") -> dict[str, Any]:
        """A static_select's state (selected_option null when nothing is chosen)."""
        option = (
            None
            if value is None
            else {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}
        )
        return {"type": "static_select", "selected_option": option}

    # -- events --------------------------------------------------------------------------------

    def event_payload(self, event: dict[str, Any], *, variant: Variant = "workspace") -> dict[str, Any]:
        """An Events API callback, with `authorizations` as each install kind has them."""
        who = self._who(variant)
        envelope: dict[str, Any] = {"token": "legacy-unused", "team_id": self.team_id}
        if variant in ("grid", "org"):
            envelope["enterprise_id"] = ENTERPRISE_ID
        envelope.update(
            {
                "api_app_id": APP_ID,
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
                "event_time": int(time.time()),
                "authorizations": [
                    {
                        "enterprise_id": ENTERPRISE_ID if variant in ("grid", "org") else None,
                        "team_id": None if who.enterprise_install else self.team_id,
                        "user_id": "U0OPSBOT",
                        "is_bot": True,
                        "is_enterprise_install": who.enterprise_install,
                    }
                ],
                "is_ext_shared_channel": variant == "connect",
                "event_context": f"4-{uuid.uuid4().hex}",
            }
        )
        return envelope

    def event(self, event: dict[str, Any], *, variant: Variant = "workspace") -> tuple[str, dict[str, str]]:
        """An Events API callback."""
        return self.json(self.event_payload(event, variant=variant))

    @staticmethod
    def app_home_opened(user_id: str, tab: str = "home") -> dict[str, Any]:
        """The app_home_opened event (its `view` is sent only once the app has published one)."""
        return {
            "type": "app_home_opened",
            "user": user_id,
            "channel": "D0OPSBOT",
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }

    # -- Socket Mode ---------------------------------------------------------------------------

    @staticmethod
    def socket_envelope(
        kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = ""
    ) -> dict[str, Any]:
        """A Socket Mode envelope of `kind` (slash_commands, interactive, events_api) around `payload`."""
        # Published envelopes: commands accept a response payload; shortcuts and block_actions do not;
        # events carry retry fields. A view_submission's ack carries response_action, so it accepts one.
        accepts = kind == "slash_commands" or (kind == "interactive" and payload.get("type") == "view_submission")
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts,
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        return envelope
