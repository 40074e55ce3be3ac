"""The durable Slack outbox: messages are rows first, and a deliverer on every replica sends them, paced per channel."""

from bot.outbox import message
from bot.outbox.message import Outgoing
from bot.outbox.outbox import Outbox
from bot.outbox.pacing import ChannelPacer

__all__ = ["ChannelPacer", "Outbox", "Outgoing", "message"]
