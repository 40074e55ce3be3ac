"""The typed arguments of /catalog forms: cut from the command text, validated, refused with their usage.

Filters and the project are words of their own (`term:Revenue`, `project=Marketing`); a value with spaces is
quoted (`project="Marketing analytics"`), as DataZone's names often have them.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import Field

from bot.arguments import CommandArgs, parse
from bot.errors import BadInput

# A filter word: `name:value` or `name:"a value"`, anywhere in the text.
_FILTER = re.compile(r'(?<!\S)(term|class|project):(?:"([^"]*)"|(\S*))(?!\S)', re.IGNORECASE)
_PROJECT = re.compile(r'(?<!\S)project=(?:"([^"]*)"|(\S*))(?!\S)', re.IGNORECASE)
_FIRST = re.compile(r'^\s*(?:"([^"]*)"|(\S+))\s*(.*)$', re.DOTALL)
FILTER_FIELDS = {"term": "term", "class": "classification", "project": "project"}


class SearchArgs(CommandArgs):
    """`<text> [term:<glossary term>] [class:<classification>] [project:<owning project>]`."""

    pattern_hint: ClassVar[str] = "words, with a value that has spaces in quotes"

    text: str = Field("", max_length=200)
    term: str | None = Field(None, min_length=1, max_length=64)
    classification: str | None = Field(None, min_length=1, max_length=64)
    project: str | None = Field(None, min_length=1, max_length=64)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for match in _FILTER.finditer(text):
            name = FILTER_FIELDS[match.group(1).lower()]
            found[name] = match.group(2) if match.group(2) is not None else match.group(3)
        rest = " ".join(_FILTER.sub(" ", text).split())
        return {**found, "text": rest}

    @classmethod
    def field_name(cls, loc: tuple[Any, ...]) -> str:
        names = {"text": "search text", "term": "term: filter", "classification": "class: filter"}
        return names.get(str(loc[0]), "project: filter") if loc else "search"

    def is_empty(self) -> bool:
        """Nothing to search for: no text and no filter."""
        return not (self.text or self.term or self.classification or self.project)


class RequestArgs(CommandArgs):
    """`<asset> [project=<name>] <reason>`: the asset first (quoted if its name has spaces), then the reason."""

    asset: str = Field(min_length=1, max_length=256)
    project: str | None = Field(None, min_length=1, max_length=64)
    reason: str = Field(min_length=3, max_length=2000)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        projects = _PROJECT.findall(text)
        rest = _PROJECT.sub(" ", text) if projects else text
        match = _FIRST.match(rest)
        asset, reason = ("", "") if match is None else (match.group(1) or match.group(2) or "", match.group(3))
        found: dict[str, Any] = {"asset": asset, "reason": " ".join(reason.split())}
        if projects:
            found["project"] = projects[0][0] or projects[0][1]
        return found

    @classmethod
    def field_name(cls, loc: tuple[Any, ...]) -> str:
        return {"project": "project= name"}.get(str(loc[0]), str(loc[0])) if loc else "arguments"


def _once(words: list[str], usage: str) -> None:
    # Two of one filter (or two projects) would be guessed at; say so instead.
    seen = set()
    for word in (w.lower() for w in words):
        if word in seen:
            raise BadInput(f"`{word}` is given twice.\nUsage: `{usage}`")
        seen.add(word)


def parse_search(text: str, usage: str) -> SearchArgs:
    """The search as typed; BadInput with the usage for a repeated filter or a value out of bounds."""
    _once([f"{m.group(1)}:" for m in _FILTER.finditer(text)], usage)
    return parse(SearchArgs, text, usage)


def parse_request(text: str, usage: str) -> RequestArgs:
    """`<asset> [project=<name>] <reason>`; BadInput with the usage otherwise."""
    _once(["project=" for _ in _PROJECT.finditer(text)], usage)
    return parse(RequestArgs, text, usage)
