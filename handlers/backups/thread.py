"""A message in a channel and its thread, where a long backup job reports progress, through the outbox."""

from __future__ import annotations

import uuid

from bot.kernel import Messages
from bot.outbox import message


class Thread:
    """A message in the channel and its thread: where a long job reports progress, through the outbox."""

    def __init__(self, outbox: Messages, channel: str, text: str, user: str) -> None:
        self.outbox = outbox
        self.channel = channel
        # Lines and the final update name the parent by key: they go out once it has landed, in order (in the
        # user's DM if the bot is not in the channel: commands and buttons work where the bot was never invited).
        self.key = f"backups.thread:{uuid.uuid4().hex}"
        outbox.send(message.post(channel, text, key=self.key, fallback_user=user))

    def say(self, text: str) -> None:
        """One progress line in the thread."""
        self.outbox.send(message.reply(self.channel, text, after=self.key))

    def finish(self, text: str) -> None:
        """Replace the parent message with the outcome, and repeat it in the thread."""
        self.outbox.send(message.update(self.channel, text, after=self.key))
        self.say(text)
