"""What the fake Slack knows of its workspace: users, user groups, and channels with the bot's membership."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# https://docs.slack.dev/reference/objects/conversation-object: public and private channels, multi-person DMs
# and DMs (im). Ids start with C (channels; G for older private ones) and D (DMs).
Kind = Literal["public", "private", "mpim", "im"]


@dataclass
class Channel:
    """One conversation and whether the bot is a member of it."""

    id: str
    name: str
    kind: Kind = "public"
    member: bool = True
    archived: bool = False


@dataclass
class Workspace:
    """Users, user groups and conversations; tests add what they post to."""

    team_id: str = "T0OPSBOT"
    team: str = "opsbot sandbox"
    bot_user_id: str = "U0OPSBOT"
    bot_id: str = "B0OPSBOT"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)

    def add_channel(
        self, channel_id: str, name: str | None = None, kind: Kind = "public", member: bool = True
    ) -> Channel:
        """Add (or replace) a conversation; the bot is a member unless `member` is False."""
        channel = Channel(channel_id, name or channel_id.lower(), kind, member)
        self.channels[channel_id] = channel
        return channel

    def join(self, *channel_ids: str) -> None:
        """The bot is in these channels (public ones are created when unknown)."""
        for channel_id in channel_ids:
            known = self.channels.get(channel_id)
            if known is None:
                self.add_channel(channel_id)
            else:
                known.member = True

    def add_user(self, user_id: str, name: str | None = None, **profile: Any) -> None:
        """A workspace member the bot can DM and look up."""
        self.users[user_id] = {"id": user_id, "name": name or user_id.lower(), **profile}

    def dm_of(self, user_id: str) -> Channel:
        """The bot's DM with a user (Slack opens it on the first post to the user's id)."""
        dm_id = "D" + user_id[1:]
        channel = self.channels.get(dm_id)
        if channel is None:
            channel = self.add_channel(dm_id, user_id, "im")
        return channel

    def resolve(self, ref: str) -> tuple[Channel | None, str | None]:
        """The conversation a `channel` argument names, or Slack's error for it.

        chat.postMessage: "channel_not_found: Value passed for channel was invalid", "not_in_channel: Cannot post
        user messages to a channel they are not in", "is_archived: Channel has been archived"
        (https://docs.slack.dev/reference/methods/chat.postMessage). A private channel the bot is not in is
        invisible to it, so that is channel_not_found too. A user id posts to the bot's DM with that user.
        """
        if not ref:
            return None, "channel_not_found"
        if ref[0] in "UW" and ref in self.users:
            return self.dm_of(ref), None
        channel = self.channels.get(ref) or next(
            (c for c in self.channels.values() if c.kind in ("public", "private") and c.name == ref.lstrip("#")), None
        )
        if channel is None or (channel.kind != "public" and not channel.member):
            return None, "channel_not_found"
        if channel.archived:
            return None, "is_archived"
        if not channel.member:
            return None, "not_in_channel"
        return channel, None
