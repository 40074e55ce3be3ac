"""Slash commands: a router per command that maps the first word to a guarded subcommand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt import Respond
from slack_sdk import WebClient

from bot.authz import Rule, anyone

# Slack caps slash-command text well below this; anything longer is not a real command.
MAX_TEXT = 4000


class SlashCommand(BaseModel):
    """The fields of a slash-command payload that opsbot uses."""

    model_config = ConfigDict(extra="ignore")

    command: str = Field(pattern=r"^/[a-z0-9_-]{1,32}$")
    text: str = Field("", max_length=MAX_TEXT)
    user_id: str = Field(min_length=1, max_length=32)
    channel_id: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None


@dataclass
class Invocation:
    """What a subcommand handler gets: the parsed command, its arguments and the Slack helpers."""

    command: SlashCommand
    args: str
    # A bot.replies.CheckedRespond, installed on every request by the middleware: a reply Slack refuses on
    # response_url is logged and delivered through the Web API instead of vanishing.
    respond: Respond
    client: WebClient
    body: dict[str, Any]


Handler = Callable[[Invocation], None]


@dataclass(frozen=True)
class Subcommand:
    """One form of a command, with the rule for who may use it."""

    name: str
    summary: str
    rule: Rule
    arguments: str = ""
    handler: Handler | None = None

    def usage(self, command: str) -> str:
        """`/cmd name <args>`."""
        return " ".join(part for part in (command, self.name, self.arguments) if part)


HELP = Subcommand("help", "show this help", anyone)


@dataclass
class CommandRouter:
    """Routes `/command <subcommand> <args>`; the empty text goes to `default` ("" names the fallback), other words
    to `fallback`."""

    command: str
    summary: str
    subcommands: list[Subcommand]
    default: str | None = None
    fallback: Subcommand | None = None
    _by_name: dict[str, Subcommand] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {sub.name: sub for sub in [*self.subcommands, HELP]}

    def resolve(self, text: str) -> tuple[Subcommand | None, str]:
        """The subcommand `text` names and the rest of the text; None if it names none."""
        words = text.strip().split(maxsplit=1)
        if not words:
            if self.default == "" and self.fallback is not None:
                return self.fallback, ""
            return self._by_name.get(self.default or "help", HELP), ""
        first, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
        if first in self._by_name:
            return self._by_name[first], rest.strip()
        if self.fallback is not None:
            return self.fallback, text.strip()
        return None, text.strip()

    def guard_key(self, sub: Subcommand | None) -> str:
        """The key under which a form's rule is registered."""
        return f"{self.command} {sub.name}".rstrip() if sub else self.command

    def form(self, name: str) -> Subcommand:
        """The form called `name`, e.g. to guard a button that continues its reply with the form's own rule."""
        return self._by_name[name]

    def forms(self) -> list[Subcommand]:
        """Every form in the order users should read them."""
        head = [self.fallback] if self.fallback else []
        return [*head, *self.subcommands, HELP]

    def usage(self) -> str:
        """The help text: one line per form."""
        lines = [f"*{self.command}*: {self.summary}"]
        lines += [f"• `{sub.usage(self.command)}`: {sub.summary}" for sub in self.forms()]
        return "\n".join(lines)


def _quote(word: str) -> str:
    """A user's word, safe to show inside inline code."""
    return word.replace("`", "'")[:40]


ErrorReporter = Callable[[Exception, dict[str, Any], WebClient], None]


def listener_for(router: CommandRouter, report: ErrorReporter) -> Callable[..., None]:
    """The Bolt listener that answers help and usage itself and hands real forms to their handlers."""

    def listener(ack: Any, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        try:
            command = SlashCommand.model_validate(body)
        except ValidationError:
            ack(response_type="ephemeral", text=f"That command could not be read.\n{router.usage()}")
            return
        sub, args = router.resolve(command.text)
        if sub is None:
            word = _quote(command.text.split()[0])
            ack(response_type="ephemeral", text=f"Unknown subcommand `{word}`.\n{router.usage()}")
        elif sub is HELP:
            ack(response_type="ephemeral", text=router.usage())
        elif sub.handler is None:
            ack(
                response_type="ephemeral",
                text=f"`{sub.usage(router.command)}` is not available in this version of opsbot yet.",
            )
        else:
            ack()
            try:
                sub.handler(Invocation(command=command, args=args, respond=respond, client=client, body=body))
            except Exception as error:
                # Bolt's sync runner loses an ack that is followed by an exception (Slack then sees a
                # failure); the error still reaches the one error handler, just not through Bolt.
                report(error, body, client)

    listener.__name__ = f"command_{router.command.strip('/')}"
    return listener
