"""What the fake Slack keeps of each call: the call itself, and any refusal or warning Slack would give it."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

_SEQUENCE = itertools.count(1)
_SEQUENCE_LOCK = threading.Lock()
_last_sequence = 0


def next_sequence() -> int:
    """A new sequence number for a refusal or warning."""
    global _last_sequence
    with _SEQUENCE_LOCK:
        _last_sequence = next(_SEQUENCE)
        return _last_sequence


def last_sequence() -> int:
    """The sequence number of the newest refusal or warning of any fake; later ones are greater."""
    with _SEQUENCE_LOCK:
        return _last_sequence


@dataclass
class Call:
    """One request the bot made: Web API method (or response_url / file_upload) and its decoded body."""

    method: str
    body: dict[str, Any]
    token: str | None
    error: str | None = None  # Slack's error when the call was refused
    messages: list[str] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=dict)  # what the Web API answered
    warnings: list[str] = field(default_factory=list)  # accepted, with these complaints


@dataclass
class Refusal:
    """A call Slack would refuse (or, with `warning`, accept with a complaint), and whether a test expected it."""

    seq: int
    method: str
    error: str
    messages: list[str]
    call: Call
    injected: bool = False  # a fault the test asked for, not the fake's judgement
    expected: bool = False
    warning: bool = False

    def __str__(self) -> str:
        detail = "; ".join(self.messages)
        kind = "warned" if self.warning else "refused"
        where = self.call.body.get("channel") or self.call.body.get("channel_id")
        on = f" in {where}" if where else ""
        return f"{self.method}{on} {kind}: {self.error}" + (f" ({detail})" if detail else "")
